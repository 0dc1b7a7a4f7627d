"""The paper's second straightforward baseline (Rehman et al., Section 5.2):
train on the full image with the unlabelled area blacked out."""
from typing import Sequence, Union

import numpy as np
from mmcv.transforms import BaseTransform
from mmdet.registry import TRANSFORMS

__all__ = ['BlackOutUnlabeled']


@TRANSFORMS.register_module()
class BlackOutUnlabeled(BaseTransform):
    """Set every pixel outside all labelled regions to ``fill``.

    What remains visible is fully annotated, so a stock detector loss (every
    unmatched prior is background) is right on it. A pixel ``(col, row)``
    (centre ``(col + 0.5, row + 0.5)``) is kept when its centre lies in some
    region, half-open (``x1 <= col + 0.5 < x2``): a region with integer
    corners keeps exactly the pixels ``x1 .. x2 - 1``. Cells that straddle a
    region's border with their centre outside are unlabelled: their part
    inside stays visible (as the paper's masking does; the detector learns
    it as background). Boxes are not changed.

    Put it after the geometric transforms (regions are then in the final
    frame) and before ``Pack*Inputs``; results without
    ``gt_labeled_regions`` are the whole image (unchanged); ``(0, 4)``
    blacks out everything.

    Args:
        fill (float | sequence): the value of the blacked-out pixels, one
            number or one per channel (in the image's channel order, BGR
            after ``LoadImageFromFile``). 0 (default) is black: the models
            here feed raw pixels (no mean subtraction), so 0 is also the
            padding value of the data preprocessor. With a preprocessor that
            subtracts a mean, give that mean (e.g. ``(103.53, 116.28,
            123.675)`` for mmdet's BGR ImageNet mean) so the area reads as 0.

    Required keys: ``img``; optional ``gt_labeled_regions``. Modified: ``img``.
    """

    def __init__(self, fill: Union[float, Sequence[float]] = 0) -> None:
        self.fill = fill

    def transform(self, results: dict) -> dict:
        if 'gt_labeled_regions' not in results:
            return results
        img = results['img']
        h, w = img.shape[:2]
        cols, rows = np.arange(w) + 0.5, np.arange(h) + 0.5
        keep = np.zeros((h, w), bool)
        for x1, y1, x2, y2 in np.asarray(results['gt_labeled_regions'],
                                         np.float32).reshape(-1, 4):
            keep |= (((rows >= y1) & (rows < y2))[:, None]
                     & ((cols >= x1) & (cols < x2))[None, :])
        img = img.copy()
        img[~keep] = np.asarray(self.fill, dtype=img.dtype)
        results['img'] = img
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(fill={self.fill})'
