from mmdet.datasets.transforms import RandomFlip
from mmdet.registry import TRANSFORMS

from .region_rows import MoveRegionsAsBoxes


@TRANSFORMS.register_module()
class RegionRandomFlip(MoveRegionsAsBoxes, RandomFlip):
    """mmdet's ``RandomFlip`` (horizontal, vertical, diagonal) that also flips
    ``gt_labeled_regions``; same arguments."""
