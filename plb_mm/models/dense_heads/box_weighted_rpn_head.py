from typing import Optional

from mmdet.models.dense_heads import RPNHead
from mmdet.registry import MODELS

from .box_weighted_dense_head_mixin import BoxWeightedAnchorHeadMixin


@MODELS.register_module()
class BoxWeightedRPNHead(BoxWeightedAnchorHeadMixin, RPNHead):
    """mmdet's ``RPNHead`` with per-box loss weights.

    ``loss_weighters=dict(cls=[dict(type='PLBWeighter')])`` is PLB1C (RPN
    objectness over the sampled anchors), ``reg=[...]`` PLB1B (RPN regression
    over the sampled positives); see :class:`BoxWeightedAnchorHeadMixin`.
    """

    def __init__(self, *args, loss_weighters: Optional[dict] = None, **kwargs):
        super().__init__(*args, **kwargs)
        self._init_loss_weighters(loss_weighters)

    def loss_by_feat(self, *args, **kwargs) -> dict:
        """The mixin's losses under ``RPNHead``'s names."""
        losses = super().loss_by_feat(*args, **kwargs)
        return dict(loss_rpn_cls=losses['loss_cls'], loss_rpn_bbox=losses['loss_bbox'])
