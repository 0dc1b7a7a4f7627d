from typing import List, Optional, Tuple

import torch
from torch import Tensor

from mmdet.models.roi_heads.bbox_heads import Shared2FCBBoxHead
from mmdet.models.task_modules.samplers import SamplingResult
from mmdet.registry import MODELS
from mmdet.structures.bbox import get_box_tensor

from ...task_modules.weighters import WeightingBoxes, build_weighters, combine_weights


class BoxWeightedBBoxHeadMixin:
    """Per-box loss weights for mmdet's second-stage ``BBoxHead`` (SPEC 0).

    ``loss_weighters=dict(cls=[...], reg=[...])``: the weights of ``cls`` are
    multiplied into ``label_weights`` of the sampled RoIs (positives and
    negatives), those of ``reg`` into ``bbox_weights`` of the positive RoIs;
    ``BBoxHead.loss`` then reduces with its unchanged normalisers (the number
    of sampled RoIs for both terms). The ``pred`` box of an entry is the RoI
    (proposal); its ``gt`` box is the matched ground truth
    (``SamplingResult.pos_gt_bboxes``); ``refined_boxes_fn`` gives the RoI
    decoded with the head's regression (for the predicted class).
    """

    def _init_loss_weighters(self, loss_weighters: Optional[dict]) -> None:
        self.loss_weighters = build_weighters(loss_weighters)

    def loss_and_target(self, cls_score: Tensor, bbox_pred: Tensor, rois: Tensor,
                        sampling_results: List[SamplingResult], rcnn_train_cfg,
                        concat: bool = True, reduction_override: Optional[str] = None) -> dict:
        if not self.loss_weighters:
            return super().loss_and_target(cls_score, bbox_pred, rois, sampling_results,
                                           rcnn_train_cfg, concat, reduction_override)
        if not concat:
            raise ValueError(f'{type(self).__name__}: per-box weights need concat=True targets')
        labels, label_weights, bbox_targets, bbox_weights = self.get_targets(
            sampling_results, rcnn_train_cfg, concat=True)
        label_weights, bbox_weights = self.apply_loss_weighters(
            cls_score, bbox_pred, rois, sampling_results, labels, label_weights, bbox_targets,
            bbox_weights)
        cls_reg_targets = (labels, label_weights, bbox_targets, bbox_weights)
        losses = self.loss(cls_score, bbox_pred, rois, *cls_reg_targets,
                           reduction_override=reduction_override)
        return dict(loss_bbox=losses, bbox_targets=cls_reg_targets)

    def apply_loss_weighters(self, cls_score: Tensor, bbox_pred: Tensor, rois: Tensor,
                             sampling_results: List[SamplingResult], labels: Tensor,
                             label_weights: Tensor, bbox_targets: Tensor,
                             bbox_weights: Tensor) -> Tuple[Tensor, Tensor]:
        """``label_weights`` and ``bbox_weights`` with each term's box weights
        multiplied in (new tensors)."""
        gt_boxes = torch.cat([
            torch.cat([get_box_tensor(res.pos_gt_bboxes),
                       rois.new_zeros(len(res.neg_inds), 4)]) for res in sampling_results])
        for term, weighters in self.loss_weighters.items():
            mask = label_weights > 0 if term == 'cls' else bbox_weights[:, 0] > 0
            boxes = self._weighting_boxes(term, mask, cls_score, bbox_pred, rois, gt_boxes,
                                          labels, bbox_targets)
            w = combine_weights(weighters, boxes)
            if term == 'cls':
                label_weights = label_weights.clone()
                label_weights[mask] = label_weights[mask] * w
            else:
                bbox_weights = bbox_weights.clone()
                bbox_weights[mask] = bbox_weights[mask] * w[:, None]
        return label_weights, bbox_weights

    def _class_deltas(self, bbox_pred: Tensor, labels: Tensor) -> Tensor:
        """The regression output of each RoI for class ``labels`` (clamped to
        a foreground class for background RoIs)."""
        if self.reg_class_agnostic:
            return bbox_pred.view(bbox_pred.size(0), -1)
        cls = labels.clamp(max=self.num_classes - 1)
        return bbox_pred.view(bbox_pred.size(0), self.num_classes, -1)[
            torch.arange(bbox_pred.size(0), device=bbox_pred.device), cls]

    def _weighting_boxes(self, term, mask, cls_score, bbox_pred, rois, gt_boxes, labels,
                         bbox_targets) -> WeightingBoxes:
        r = rois[mask].detach()
        lab = labels[mask]

        def cls_loss():
            return self.loss_cls(cls_score[mask].detach(), lab, reduction_override='none')

        def reg_loss():
            deltas = self._class_deltas(bbox_pred[mask].detach(), lab)
            if self.reg_decoded_bbox:
                deltas = get_box_tensor(self.bbox_coder.decode(r[:, 1:], deltas))
            return self.loss_bbox(deltas, bbox_targets[mask], reduction_override='none')

        def refined_boxes():
            if bbox_pred is None:
                return r[:, 1:]
            pred_lab = cls_score[mask].detach()[:, :self.num_classes].argmax(-1) \
                if cls_score is not None else lab
            deltas = self._class_deltas(bbox_pred[mask].detach(), pred_lab)
            return get_box_tensor(self.bbox_coder.decode(r[:, 1:], deltas))

        return WeightingBoxes(
            pred_boxes=r[:, 1:], gt_boxes=gt_boxes[mask], labels=lab,
            is_pos=(lab >= 0) & (lab < self.num_classes), img_inds=r[:, 0].long(),
            loss_fn=cls_loss if term == 'cls' else reg_loss, refined_boxes_fn=refined_boxes)


@MODELS.register_module()
class BoxWeightedShared2FCBBoxHead(BoxWeightedBBoxHeadMixin, Shared2FCBBoxHead):
    """mmdet's ``Shared2FCBBoxHead`` (Faster R-CNN's RoI head) with per-box
    loss weights: ``loss_weighters=dict(cls=[dict(type='PLBWeighter')])`` is
    PLB2C, ``reg=[...]`` PLB2B."""

    def __init__(self, *args, loss_weighters: Optional[dict] = None, **kwargs):
        super().__init__(*args, **kwargs)
        self._init_loss_weighters(loss_weighters)
