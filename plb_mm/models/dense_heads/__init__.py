from .box_weighted_atss_head import BoxWeightedATSSHead
from .box_weighted_dense_head_mixin import BoxWeightedAnchorHeadMixin, BoxWeightedDenseHeadMixin
from .box_weighted_retina_head import BoxWeightedRetinaHead
from .box_weighted_rpn_head import BoxWeightedRPNHead
from .sladet_yolox_head import SLADetYOLOXHead

__all__ = [
    'BoxWeightedDenseHeadMixin', 'BoxWeightedAnchorHeadMixin', 'BoxWeightedRPNHead',
    'BoxWeightedRetinaHead', 'BoxWeightedATSSHead', 'SLADetYOLOXHead'
]
