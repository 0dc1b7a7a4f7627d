from .box_weighted_atss_head import BoxWeightedATSSHead
from .box_weighted_dense_head_mixin import BoxWeightedDenseHeadMixin
from .box_weighted_retina_head import BoxWeightedRetinaHead
from .box_weighted_rpn_head import BoxWeightedRPNHead
from .cls_score_assign_mixin import ClsScoreAssignMixin

__all__ = [
    'BoxWeightedDenseHeadMixin', 'BoxWeightedRPNHead', 'BoxWeightedRetinaHead',
    'BoxWeightedATSSHead', 'ClsScoreAssignMixin'
]
