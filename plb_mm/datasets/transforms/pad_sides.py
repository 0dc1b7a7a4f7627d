from typing import Sequence, Union

import mmcv
import numpy as np
from mmcv.transforms import BaseTransform

from mmdet.registry import TRANSFORMS
from mmdet.structures.bbox import autocast_box_type


def record_translation(results: dict, dx: float, dy: float) -> None:
    """Compose a translation by ``(dx, dy)`` into ``results['homography_matrix']``
    (the matrix that maps original to current pixel coordinates, as mmdet's
    geometric transforms keep it)."""
    shift = np.array([[1, 0, dx], [0, 1, dy], [0, 0, 1]], dtype=np.float32)
    prev = results.get('homography_matrix')
    results['homography_matrix'] = shift if prev is None else shift @ prev


@TRANSFORMS.register_module()
class PadSides(BaseTransform):
    """Pad each side of the image by a given number of pixels and shift the
    boxes by the left / top padding.

    mmdet's ``Pad`` pads to a size (or a multiple) on the bottom and right
    only, so it cannot put a border around the image; this is the benchmark
    paper's first augmentation step (Pianese, Sec. 3.1.3: "50px pad on each
    side ... consistent with what was already present in the image", i.e.
    ``padding_mode='reflect'``, which also keeps the later rotation from
    showing a constant border near the image).

    Required keys: ``img``; ``gt_bboxes`` (optional). Modified: ``img``,
    ``img_shape``, ``gt_bboxes`` (+ ``(left, top)``). Added / updated:
    ``homography_matrix`` (the translation, composed as mmdet's geometric
    transforms do). Masks and segmentation maps are not handled (an error
    if present).

    Args:
        padding (int | tuple[int, int, int, int]): pixels on every side, or
            ``(left, top, right, bottom)``.
        padding_mode (str): ``'reflect'`` (mirror without repeating the edge
            pixel: ``[1, 2, 3]`` padded by 2 -> ``[3, 2, 1, 2, 3, 2, 1]``),
            ``'symmetric'``, ``'edge'`` or ``'constant'`` (``mmcv.impad``).
        pad_val (int | float | tuple): the value of ``'constant'`` padding.
    """

    def __init__(self, padding: Union[int, Sequence[int]] = 50, padding_mode: str = 'reflect',
                 pad_val: Union[int, float, tuple] = 0) -> None:
        if isinstance(padding, int):
            padding = (padding, ) * 4
        padding = tuple(padding)
        if len(padding) != 4 or not all(isinstance(p, int) and p >= 0 for p in padding):
            raise ValueError(f'padding={padding!r}: expected an int >= 0 or (left, top, right, '
                             f'bottom) ints >= 0')
        if padding_mode not in ('constant', 'edge', 'reflect', 'symmetric'):
            raise ValueError(f'padding_mode={padding_mode!r}: expected constant, edge, reflect '
                             f'or symmetric')
        self.padding = padding
        self.padding_mode = padding_mode
        self.pad_val = pad_val

    @autocast_box_type()
    def transform(self, results: dict) -> dict:
        for key in ('gt_masks', 'gt_seg_map'):
            if results.get(key) is not None:
                raise ValueError(f'PadSides pads images and boxes only; got {key}')
        left, top = self.padding[:2]
        results['img'] = mmcv.impad(results['img'], padding=self.padding, pad_val=self.pad_val,
                                    padding_mode=self.padding_mode)
        results['img_shape'] = results['img'].shape[:2]
        if results.get('gt_bboxes') is not None:
            results['gt_bboxes'].translate_([left, top])
        record_translation(results, left, top)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(padding={self.padding}, '
                f'padding_mode={self.padding_mode!r}, pad_val={self.pad_val})')
