from typing import Optional

from mmdet.models.dense_heads import ATSSHead
from mmdet.registry import MODELS

from .box_weighted_dense_head_mixin import BoxWeightedDenseHeadMixin


@MODELS.register_module()
class BoxWeightedATSSHead(BoxWeightedDenseHeadMixin, ATSSHead):
    """mmdet's ``ATSSHead`` with per-box weights on its classification loss
    (e.g. the DC loss: ``loss_weighters=dict(cls=[dict(type='DCWeighter')])``).

    ATSS's box loss weights positives by centerness and ignores
    ``bbox_weights``, so only ``cls`` weighters are accepted. Its targets
    start with the anchors (``targets_start = 1``), and its regression targets
    are decoded boxes (``reg_decoded_bbox``), which the mixin reads as such.
    """

    targets_start = 1
    weightable_terms = ('cls', )

    def __init__(self, *args, loss_weighters: Optional[dict] = None, **kwargs):
        super().__init__(*args, **kwargs)
        self._init_loss_weighters(loss_weighters)
