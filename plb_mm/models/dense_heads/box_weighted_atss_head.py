from typing import List, Optional

import torch
from torch import Tensor

from mmdet.models.dense_heads import ATSSHead
from mmdet.models.utils import multi_apply
from mmdet.registry import MODELS
from mmdet.utils import InstanceList, OptInstanceList, reduce_mean

from .box_weighted_dense_head_mixin import BoxWeightedDenseHeadMixin


@MODELS.register_module()
class BoxWeightedATSSHead(BoxWeightedDenseHeadMixin, ATSSHead):
    """mmdet's ``ATSSHead`` with per-box weights on its classification loss
    (e.g. the DC loss: ``loss_weighters=dict(cls=[dict(type='DCWeighter')])``).

    ATSS's box loss weights positives by centerness and ignores
    ``bbox_weights``, so only ``cls`` weighters are accepted. Its targets
    start with the anchors (``targets_start = 1``), and its regression targets
    are the matched GT boxes themselves (ATSS regresses decoded boxes), which
    are therefore the ``gt`` boxes of the weighters.
    """

    targets_start = 1
    weightable_terms = ('cls', )

    def __init__(self, *args, loss_weighters: Optional[dict] = None, **kwargs):
        super().__init__(*args, **kwargs)
        self._init_loss_weighters(loss_weighters)
        if self.loss_weighters and not self.reg_decoded_bbox:
            raise ValueError(f'{type(self).__name__}: loss weighters need reg_decoded_bbox=True '
                             '(ATSS regression targets are then the matched GT boxes)')

    def matched_gt_boxes(self, targets: tuple) -> List[Tensor]:
        return targets[self.targets_start + 2]  # bbox_targets: decoded GT boxes

    def loss_by_feat(self, cls_scores: List[Tensor], bbox_preds: List[Tensor],
                     centernesses: List[Tensor], batch_gt_instances: InstanceList,
                     batch_img_metas: List[dict],
                     batch_gt_instances_ignore: OptInstanceList = None) -> dict:
        """``ATSSHead.loss_by_feat`` with the box weights multiplied into the
        targets (:meth:`apply_loss_weighters`) before the per-level losses."""
        featmap_sizes = [featmap.size()[-2:] for featmap in bbox_preds]
        assert len(featmap_sizes) == self.prior_generator.num_levels
        device = cls_scores[0].device
        anchor_list, valid_flag_list = self.get_anchors(featmap_sizes, batch_img_metas,
                                                        device=device)
        # ATSSHead.get_targets concatenates the levels of anchor_list in place
        level_anchors = [list(anchors) for anchors in anchor_list]
        targets = self.get_targets(anchor_list, valid_flag_list, batch_gt_instances,
                                   batch_img_metas, batch_gt_instances_ignore)
        targets = self.apply_loss_weighters(level_anchors, targets, cls_scores, bbox_preds,
                                            batch_img_metas)
        (anchor_list, labels_list, label_weights_list, bbox_targets_list, bbox_weights_list,
         avg_factor) = targets
        avg_factor = reduce_mean(torch.tensor(avg_factor, dtype=torch.float,
                                              device=device)).item()
        losses_cls, losses_bbox, loss_centerness, bbox_avg_factor = multi_apply(
            self.loss_by_feat_single, anchor_list, cls_scores, bbox_preds, centernesses,
            labels_list, label_weights_list, bbox_targets_list, avg_factor=avg_factor)
        bbox_avg_factor = reduce_mean(sum(bbox_avg_factor)).clamp_(min=1).item()
        losses_bbox = list(map(lambda x: x / bbox_avg_factor, losses_bbox))
        return dict(loss_cls=losses_cls, loss_bbox=losses_bbox, loss_centerness=loss_centerness)
