from .attri_head import AttriHead
from .bbox_heads import BoxWeightedBBoxHeadMixin, BoxWeightedShared2FCBBoxHead

__all__ = ['AttriHead', 'BoxWeightedBBoxHeadMixin', 'BoxWeightedShared2FCBBoxHead']
