from .box_weighted_bbox_head import BoxWeightedBBoxHeadMixin, BoxWeightedShared2FCBBoxHead

__all__ = ['BoxWeightedBBoxHeadMixin', 'BoxWeightedShared2FCBBoxHead']
