from typing import Optional

from mmdet.datasets.transforms import RandomCrop
from mmdet.registry import TRANSFORMS

from .region_rows import MoveRegionsAsBoxes


@TRANSFORMS.register_module()
class RegionRandomCrop(MoveRegionsAsBoxes, RandomCrop):
    """mmdet's ``RandomCrop`` that also crops ``gt_labeled_regions``: a region
    cut by the crop is clipped to it, one with no area left is dropped, and
    the boxes the crop drops take their ``gt_attributes`` rows along. Same
    arguments.

    ``allow_negative_crop=False`` still means what it means in mmdet: a crop
    with no box left is refused (None, so the dataset draws again) even when
    a labelled region is left in it; set it True to train on crops that show
    only labelled background.
    """

    def transform(self, results: dict) -> Optional[dict]:
        results = super().transform(results)
        if (results is not None and not self.allow_negative_crop
                and 'gt_bboxes' in results and len(results['gt_bboxes']) == 0):
            return None  # only regions were left: no box, as mmdet refuses
        return results
