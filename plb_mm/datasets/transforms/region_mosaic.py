from mmdet.datasets.transforms import Mosaic
from mmdet.registry import TRANSFORMS

from .region_rows import MoveRegionsAsBoxes


@TRANSFORMS.register_module()
class RegionMosaic(MoveRegionsAsBoxes, Mosaic):
    """mmdet's (YOLOX) ``Mosaic`` that also places each sub-image's
    ``gt_labeled_regions`` on the canvas (scaled and translated with it,
    clipped to the canvas, dropped if nothing is left) and keeps
    ``gt_attributes`` with the boxes it keeps. Same arguments; the canvas
    left grey (``pad_val``) lies outside every region. Use it inside
    ``MultiImageMixDataset``, as ``Mosaic``; ``YOLOXModeSwitchHook`` then
    needs ``skip_type_keys=('RegionMosaic', 'RegionRandomAffine', ...)``.
    """
