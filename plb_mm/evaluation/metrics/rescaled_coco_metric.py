from typing import Dict, Optional, Sequence, Tuple

from mmdet.evaluation import CocoMetric
from mmdet.registry import METRICS


@METRICS.register_module()
class RescaledCocoMetric(CocoMetric):
    """mmdet's ``CocoMetric`` with the COCO size bands (small < 32^2 <= medium
    < 96^2 <= large, in pixels of area) taken in another image frame.

    COCO assigns a box to a band by its area *in the annotation file's
    pixels*. Papers often report AP_small on a resized copy of a data set
    (BCCD's Roboflow export is 640x480 stretched to 416x416): at 640x480 only
    5 of BCCD's 945 test boxes are small, at 416x416 45 are. With
    ``eval_size=(416, 416)`` every ground-truth box and every prediction is
    mapped into a 416x416 frame (x by 416/width, y by 416/height of its image)
    before COCOeval runs. IoU between axis-aligned boxes does not change under
    a per-axis scaling, so mAP, AP50 and AP75 are exactly the stock metric's;
    only the band of each box (AP_s/m/l, AR_s/m/l) follows the new frame.

    Args:
        eval_size (tuple[int, int], optional): (width, height) of the frame
            in which areas are measured; None is the stock metric.
        (the others: ``CocoMetric``; ``ann_file`` is required with
        ``eval_size``.)
    """

    def __init__(self, *args, eval_size: Optional[Tuple[int, int]] = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.eval_size = tuple(eval_size) if eval_size is not None else None
        self._scales: Dict[int, Tuple[float, float]] = {}
        if self.eval_size is not None:
            if self._coco_api is None:
                raise ValueError('RescaledCocoMetric: eval_size needs ann_file (the image '
                                 'sizes of the ground truth)')
            self._rescale_ground_truth()

    def _rescale_ground_truth(self) -> None:
        W, H = self.eval_size
        for img_id, img in self._coco_api.imgs.items():
            self._scales[img_id] = (W / img['width'], H / img['height'])
        for ann in self._coco_api.anns.values():  # the same dicts as dataset['annotations']
            sx, sy = self._scales[ann['image_id']]
            x, y, w, h = ann['bbox']
            ann['bbox'] = [x * sx, y * sy, w * sx, h * sy]
            ann['area'] = ann['area'] * sx * sy

    def compute_metrics(self, results: Sequence[dict]) -> Dict[str, float]:
        if self.eval_size is not None:  # results: (gt, prediction) per image
            scaled = []
            for gt, pred in results:
                sx, sy = self._scales[pred['img_id']]
                scaled.append((gt, dict(pred, bboxes=pred['bboxes'] * [sx, sy, sx, sy])))
            results = scaled
        return super().compute_metrics(results)
