from mmdet.datasets.transforms import Resize
from mmdet.registry import TRANSFORMS

from .region_rows import MoveRegionsAsBoxes


@TRANSFORMS.register_module()
class RegionResize(MoveRegionsAsBoxes, Resize):
    """mmdet's ``Resize`` that also scales ``gt_labeled_regions`` (clipped to
    the new image) and keeps ``gt_attributes`` with their boxes; same
    arguments."""
