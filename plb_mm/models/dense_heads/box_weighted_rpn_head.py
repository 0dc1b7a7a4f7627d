from typing import Optional

from mmdet.models.dense_heads import RPNHead
from mmdet.registry import MODELS

from .box_weighted_dense_head_mixin import BoxWeightedDenseHeadMixin


@MODELS.register_module()
class BoxWeightedRPNHead(BoxWeightedDenseHeadMixin, RPNHead):
    """mmdet's ``RPNHead`` with per-box loss weights.

    ``loss_weighters=dict(cls=[dict(type='PLBWeighter')])`` is PLB1C (RPN
    objectness over the sampled anchors), ``reg=[...]`` PLB1B (RPN regression
    over the sampled positives); see :class:`BoxWeightedDenseHeadMixin`.
    """

    def __init__(self, *args, loss_weighters: Optional[dict] = None, **kwargs):
        super().__init__(*args, **kwargs)
        self._init_loss_weighters(loss_weighters)
