from typing import Optional

from mmdet.models.dense_heads import RetinaHead
from mmdet.registry import MODELS

from .box_weighted_dense_head_mixin import BoxWeightedAnchorHeadMixin


@MODELS.register_module()
class BoxWeightedRetinaHead(BoxWeightedAnchorHeadMixin, RetinaHead):
    """mmdet's ``RetinaHead`` with the three parts of Zhang et al. (SPEC 3):

    - per-box loss weights: ``loss_weighters=dict(cls=[dict(type='DCWeighter')])``
      is the DC loss (any weighter works, on ``cls`` and ``reg``);
    - class probabilities passed to a score-aware assigner:
      ``train_cfg.assigner=dict(type='IoUClsAwareAssigner')`` is the IAC
      assignment (see :class:`BoxWeightedAnchorHeadMixin`);
    - CL-balanced NMS: ``test_cfg.nms=dict(type='cl_balanced_nms', iou_threshold=0.5)``
      (plain config; works for any mmdet head).

    Without weighters and with ``MaxIoUAssigner`` it is the stock head.
    """

    def __init__(self, *args, loss_weighters: Optional[dict] = None, **kwargs):
        super().__init__(*args, **kwargs)
        self._init_loss_weighters(loss_weighters)
