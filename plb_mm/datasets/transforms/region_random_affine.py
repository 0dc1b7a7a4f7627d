from mmdet.datasets.transforms import RandomAffine
from mmdet.registry import TRANSFORMS

from .region_rows import MoveRegionsAsBoxes


@TRANSFORMS.register_module()
class RegionRandomAffine(MoveRegionsAsBoxes, RandomAffine):
    """mmdet's (YOLOX) ``RandomAffine`` that also warps ``gt_labeled_regions``:
    a region becomes the axis-aligned box of its four warped corners, clipped
    to the output image (dropped if nothing is left); the boxes it drops take
    their ``gt_attributes`` rows along. Same arguments.

    Under rotation or shear that box also covers the corners outside the
    warped region, whose unannotated cells then count as labelled
    background: keep ``max_rotate_degree`` and ``max_shear_degree`` small (or
    0) for sparse training.
    """
