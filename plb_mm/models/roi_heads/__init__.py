from .bbox_heads import BoxWeightedBBoxHeadMixin, BoxWeightedShared2FCBBoxHead

__all__ = ['BoxWeightedBBoxHeadMixin', 'BoxWeightedShared2FCBBoxHead']
