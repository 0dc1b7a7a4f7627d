import numpy as np
from mmcv.transforms import BaseTransform
from mmcv.transforms.utils import cache_randomness

from mmdet.registry import TRANSFORMS
from mmdet.structures.bbox import autocast_box_type

from .pad_sides import record_translation


@TRANSFORMS.register_module()
class RandomCropSides(BaseTransform):
    """Crop ``min_crop .. max_crop`` pixels (uniform integers, inclusive) off
    each side of the image, the four amounts drawn independently.

    The benchmark paper's crop (Pianese, Sec. 3.1.3: "a random centered crop
    between 0px and 64px on each side"): the crop's centre is the image
    centre on average, not always. mmdet's ``RandomCrop`` draws the crop size
    and then its offset, so one side can lose up to the whole size
    difference; this draws the sides.

    Boxes are shifted by ``(-left, -top)`` and clipped to the crop; a box with
    no width or height left is dropped with its label and ignore flag. An
    image whose boxes all leave is kept, with no boxes. When the two crops of
    an axis would take the whole image, both are scaled down so that one
    pixel stays.

    Required keys: ``img``; ``gt_bboxes``, ``gt_bboxes_labels``,
    ``gt_ignore_flags`` (optional). Modified: ``img``, ``img_shape`` and
    those. Added / updated: ``homography_matrix``. Masks and segmentation
    maps are not handled (an error if present).

    Args:
        max_crop (int): the largest crop of one side, px. Defaults to 64.
        min_crop (int): the smallest, px. Defaults to 0.
    """

    def __init__(self, max_crop: int = 64, min_crop: int = 0) -> None:
        if not (isinstance(max_crop, int) and isinstance(min_crop, int)
                and 0 <= min_crop <= max_crop):
            raise ValueError(f'min_crop={min_crop!r}, max_crop={max_crop!r}: expected ints with '
                             f'0 <= min_crop <= max_crop')
        self.max_crop = max_crop
        self.min_crop = min_crop

    @cache_randomness
    def _crops(self) -> np.ndarray:
        """(left, top, right, bottom)."""
        return np.random.randint(self.min_crop, self.max_crop + 1, size=4)

    @staticmethod
    def _fit(a: int, b: int, size: int):
        if a + b < size:
            return a, b
        k = (size - 1) / (a + b)
        return int(a * k), int(b * k)

    @autocast_box_type()
    def transform(self, results: dict) -> dict:
        for key in ('gt_masks', 'gt_seg_map'):
            if results.get(key) is not None:
                raise ValueError(f'RandomCropSides crops images and boxes only; got {key}')
        h, w = results['img'].shape[:2]
        left, top, right, bottom = (int(c) for c in self._crops())
        left, right = self._fit(left, right, w)
        top, bottom = self._fit(top, bottom, h)
        results['img'] = results['img'][top:h - bottom, left:w - right]
        results['img_shape'] = results['img'].shape[:2]
        if results.get('gt_bboxes') is not None:
            boxes = results['gt_bboxes']
            boxes.translate_([-left, -top])
            boxes.clip_(results['img_shape'])
            keep = ((boxes.widths > 0) & (boxes.heights > 0)).numpy()
            for key in ('gt_bboxes', 'gt_bboxes_labels', 'gt_ignore_flags'):
                if results.get(key) is not None:
                    results[key] = results[key][keep]
        record_translation(results, -left, -top)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(max_crop={self.max_crop}, '
                f'min_crop={self.min_crop})')
