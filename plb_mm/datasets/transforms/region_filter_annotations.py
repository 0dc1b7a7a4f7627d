from mmdet.datasets.transforms import FilterAnnotations
from mmdet.registry import TRANSFORMS

from .region_rows import MoveRegionsAsBoxes


@TRANSFORMS.register_module()
class RegionFilterAnnotations(MoveRegionsAsBoxes, FilterAnnotations):
    """mmdet's ``FilterAnnotations`` whose dropped boxes take their
    ``gt_attributes`` rows along; ``gt_labeled_regions`` are left as they are
    (a small region is not filtered, and does not count as a box for
    ``keep_empty``). Same arguments."""
    regions_as_boxes = False
