"""The paper's first straightforward baseline (Rehman et al., Section 5.2):
train on crops of the labelled regions."""
import math
from typing import Optional

import numpy as np
from mmcv.transforms import BaseTransform
from mmdet.registry import TRANSFORMS
from mmdet.structures.bbox import BaseBoxes

__all__ = ['CropToLabeledRegion']


@TRANSFORMS.register_module()
class CropToLabeledRegion(BaseTransform):
    """Crop the image to one of its labelled regions, drawn uniformly.

    Inside a labelled region every cell is annotated, so the crop is a fully
    annotated image. The crop is the region rounded *inwards* to whole pixels
    (``ceil(x1), ceil(y1), floor(x2), floor(y2)``), so no unlabelled pixel
    strip is added. Boxes whose centre ``(cx, cy)`` lies in the region
    (half-open, ``x1 <= cx < x2``: the data contract's membership rule, on the
    region's own coordinates) are kept, shifted and clipped to the crop; the others are dropped with their
    labels, ignore flags and ``gt_attributes`` rows. ``gt_labeled_regions``
    becomes the whole crop, ``[[0, 0, w, h]]``.

    An image with no labelled region (``gt_labeled_regions`` of shape
    ``(0, 4)``) gives ``None`` (the dataset draws another image); results
    without the key (no regions loaded) are the whole image, so the crop is
    the image itself. Put it after the resize (the crop is then at the test
    scale) and before the flip; use ``CheckedCocoDataset`` with
    ``filter_empty_gt=False`` so a region without cells teaches background.

    Required keys: ``img``, ``gt_bboxes``; optional ``gt_bboxes_labels``,
    ``gt_ignore_flags``, ``gt_attributes``, ``gt_labeled_regions``.
    Modified keys: those, and ``img_shape``.
    """

    def transform(self, results: dict) -> Optional[dict]:
        img = results['img']
        h, w = img.shape[:2]
        regions = np.asarray(results.get('gt_labeled_regions', [[0, 0, w, h]]),
                             np.float32).reshape(-1, 4)
        if len(regions) == 0:
            return None
        region = regions[np.random.randint(len(regions))]
        rx1, ry1, rx2, ry2 = region.tolist()
        x1, y1 = max(math.ceil(rx1), 0), max(math.ceil(ry1), 0)
        x2, y2 = min(math.floor(rx2), w), min(math.floor(ry2), h)
        if x2 <= x1 or y2 <= y1:  # a region under one pixel wide: nothing to train on
            return None
        results['img'] = img[y1:y2, x1:x2]
        results['img_shape'] = results['img'].shape[:2]
        cw, ch = x2 - x1, y2 - y1

        boxes = results['gt_bboxes']
        arr = boxes.numpy() if isinstance(boxes, BaseBoxes) else np.asarray(boxes, np.float32)
        arr = arr.reshape(-1, 4)
        cx, cy = (arr[:, 0] + arr[:, 2]) / 2, (arr[:, 1] + arr[:, 3]) / 2
        keep = (cx >= rx1) & (cx < rx2) & (cy >= ry1) & (cy < ry2)
        arr = arr[keep] - np.array([x1, y1, x1, y1], np.float32)
        arr[:, 0::2] = arr[:, 0::2].clip(0, cw)
        arr[:, 1::2] = arr[:, 1::2].clip(0, ch)
        results['gt_bboxes'] = type(boxes)(arr) if isinstance(boxes, BaseBoxes) else arr
        for key in ('gt_bboxes_labels', 'gt_ignore_flags', 'gt_attributes'):
            if key in results:
                results[key] = np.asarray(results[key])[keep]
        results['gt_labeled_regions'] = np.array([[0, 0, cw, ch]], np.float32)
        return results
