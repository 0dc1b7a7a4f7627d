from .box_weighted_dense_head_mixin import BoxWeightedDenseHeadMixin
from .box_weighted_rpn_head import BoxWeightedRPNHead

__all__ = ['BoxWeightedDenseHeadMixin', 'BoxWeightedRPNHead']
