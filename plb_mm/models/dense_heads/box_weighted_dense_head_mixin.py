from typing import List, Optional, Tuple

import torch
from torch import Tensor

from mmdet.structures.bbox import get_box_tensor

from ..task_modules.weighters import WeightingBoxes, build_weighters, combine_weights


class BoxWeightedDenseHeadMixin:
    """Per-box loss weights for mmdet's anchor-based dense heads (SPEC 0).

    Mixed in before an mmdet head (``class X(BoxWeightedDenseHeadMixin,
    RPNHead)``), it takes ``loss_weighters=dict(cls=[...], reg=[...])`` and,
    after the head computed its targets, multiplies the weights of each term
    into ``label_weights`` (cls) and ``bbox_weights`` (reg). mmdet's losses then
    reduce ``sum(w * l) / avg_factor`` with the head's own, unchanged
    ``avg_factor``. With no weighters the head is the stock one.

    The boxes of a term are pooled over the images and FPN levels of the
    batch: for ``cls`` the entries with ``label_weight > 0`` (the sampled
    anchors when the head samples), for ``reg`` those with ``bbox_weight > 0``
    (positives). If every weighter of a term declares ``positives_only``, only
    the positives are handed over (a dense head has ~10^5 negatives per image).
    The ``pred`` box of an entry is its anchor decoded with the (detached)
    regression output; its ``gt`` box is its regression target decoded.
    """

    # Position of ``labels_list`` in the tuple returned by ``get_targets``.
    targets_start = 0
    # Terms whose per-box weights the head's loss actually uses.
    weightable_terms = ('cls', 'reg')

    def _init_loss_weighters(self, loss_weighters: Optional[dict]) -> None:
        self.loss_weighters = build_weighters(loss_weighters)
        bad = set(self.loss_weighters) - set(self.weightable_terms)
        if bad:
            raise ValueError(f'{type(self).__name__}: its loss ignores per-box weights of '
                             f'term(s) {sorted(bad)}; weightable: {self.weightable_terms}')
        self._preds_for_weighting = None

    def loss_by_feat(self, cls_scores: List[Tensor], bbox_preds: List[Tensor], *args, **kwargs):
        if not self.loss_weighters:
            return super().loss_by_feat(cls_scores, bbox_preds, *args, **kwargs)
        self._preds_for_weighting = (cls_scores, bbox_preds)
        try:
            return super().loss_by_feat(cls_scores, bbox_preds, *args, **kwargs)
        finally:
            self._preds_for_weighting = None

    def get_targets(self, anchor_list, valid_flag_list, *args, **kwargs) -> tuple:
        if self._preds_for_weighting is None:
            return super().get_targets(anchor_list, valid_flag_list, *args, **kwargs)
        # Keep the per-level anchors: some heads (ATSS) concatenate the levels
        # of ``anchor_list`` in place.
        level_anchors = [list(a) for a in anchor_list]
        targets = super().get_targets(anchor_list, valid_flag_list, *args, **kwargs)
        return self.apply_loss_weighters(level_anchors, targets, *self._preds_for_weighting)

    def apply_loss_weighters(self, anchor_list, targets: tuple, cls_scores: List[Tensor],
                             bbox_preds: List[Tensor]) -> tuple:
        """Multiply each term's box weights into the targets of ``get_targets``
        (``label_weights`` for cls, ``bbox_weights`` for reg; in place)."""
        targets = list(targets)
        s = self.targets_start
        labels, label_weights, bbox_targets, bbox_weights = targets[s:s + 4]
        for term, weighters in self.loss_weighters.items():
            positives_only = all(getattr(w, 'positives_only', False) for w in weighters)
            boxes, entries = self._weighting_boxes(term, anchor_list, cls_scores, bbox_preds,
                                                   labels, label_weights, bbox_targets,
                                                   bbox_weights, positives_only)
            _scatter_weights(label_weights if term == 'cls' else bbox_weights, entries,
                             combine_weights(weighters, boxes))
        return tuple(targets)

    def _weighting_boxes(self, term, anchor_list, cls_scores, bbox_preds, labels, label_weights,
                         bbox_targets, bbox_weights,
                         positives_only) -> Tuple[WeightingBoxes, List[Tuple[Tensor, Tensor]]]:
        num_imgs = len(anchor_list)
        enc = self.bbox_coder.encode_size
        A = self.num_base_priors
        parts = dict(anchors=[], deltas=[], scores=[], labels=[], targets=[], img_inds=[])
        entries = []  # per level: (image index, anchor index) of each selected entry
        for lvl in range(len(labels)):
            if term == 'cls':
                mask = label_weights[lvl] > 0
            else:
                mask = bbox_weights[lvl].reshape(num_imgs, labels[lvl].size(1), -1)[..., 0] > 0
            if positives_only:
                mask = mask & (labels[lvl] >= 0) & (labels[lvl] < self.num_classes)
            # Gather only the selected entries (a dense head has ~10^5 anchors
            # per image): entry j of a level is anchor a = j % A at pixel j // A.
            img, j = mask.nonzero(as_tuple=True)
            entries.append((img, j))
            a, hw = j % A, j // A
            H, W = bbox_preds[lvl].shape[-2:]
            h, w = hw // W, hw % W
            anchors = anchor_list[0][lvl]
            if all(anchor_list[i][lvl] is anchors for i in range(num_imgs)):
                parts['anchors'].append(get_box_tensor(anchors)[j])
            else:
                parts['anchors'].append(
                    torch.stack([get_box_tensor(x[lvl]) for x in anchor_list])[img, j])
            parts['deltas'].append(
                bbox_preds[lvl].detach().view(num_imgs, A, enc, H, W)[img, a, :, h, w])
            parts['scores'].append(
                cls_scores[lvl].view(num_imgs, A, self.cls_out_channels, H, W)[img, a, :, h, w])
            parts['labels'].append(labels[lvl][img, j])
            parts['targets'].append(bbox_targets[lvl][img, j])
            parts['img_inds'].append(img)
        p = {k: torch.cat(v) for k, v in parts.items()}
        pred_boxes = get_box_tensor(self.bbox_coder.decode(p['anchors'], p['deltas']))
        gt_boxes = p['targets'] if self.reg_decoded_bbox else get_box_tensor(
            self.bbox_coder.decode(p['anchors'], p['targets']))
        is_pos = (p['labels'] >= 0) & (p['labels'] < self.num_classes)

        def cls_loss():
            return self.loss_cls(p['scores'].detach(), p['labels'], reduction_override='none')

        def reg_loss():
            if self.reg_decoded_bbox:
                return self.loss_bbox(pred_boxes, gt_boxes, reduction_override='none')
            return self.loss_bbox(p['deltas'], p['targets'], reduction_override='none')

        boxes = WeightingBoxes(
            pred_boxes=pred_boxes, gt_boxes=gt_boxes, is_pos=is_pos, labels=p['labels'],
            img_inds=p['img_inds'], loss_fn=cls_loss if term == 'cls' else reg_loss)
        return boxes, entries


def _scatter_weights(level_weights: List[Tensor], entries: List[Tuple[Tensor, Tensor]],
                     w: Tensor) -> None:
    """Multiply ``w`` (the pooled entries, level by level) into the per-level
    weight tensors (num_imgs, n[, 4]) at ``entries`` (in place: ``get_targets``
    made them for this call only)."""
    start = 0
    for lw, (img, j) in zip(level_weights, entries):
        scale = w[start:start + len(j)]
        lw[img, j] *= scale if lw.dim() == 2 else scale[:, None]
        start += len(j)
