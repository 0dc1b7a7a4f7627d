from typing import List, Optional, Tuple

import torch
from mmengine.structures import InstanceData
from torch import Tensor

from mmdet.models.task_modules.prior_generators import anchor_inside_flags
from mmdet.models.utils import images_to_levels, multi_apply, unmap
from mmdet.structures.bbox import cat_boxes, get_box_tensor
from mmdet.utils import InstanceList, OptInstanceList

from ..task_modules.weighters import WeightingBoxes, build_weighters, combine_weights


class BoxWeightedDenseHeadMixin:
    """Per-box loss weights for mmdet's anchor-based dense heads (SPEC 0): the
    part every such head shares. It overrides no mmdet method; a head's
    ``loss_by_feat`` calls :meth:`apply_loss_weighters` between its
    ``get_targets`` and its per-level losses, passing everything it needs
    (see :class:`BoxWeightedAnchorHeadMixin` and ``BoxWeightedATSSHead``).

    ``loss_weighters=dict(cls=[...], reg=[...])``: the weights of each term
    multiply into ``label_weights`` (cls) and ``bbox_weights`` (reg); mmdet's
    losses then reduce ``sum(w * l) / avg_factor`` with the head's own,
    unchanged ``avg_factor``.

    The boxes of a term are pooled over the images and FPN levels of the
    batch: for ``cls`` the entries with ``label_weight > 0`` (the sampled
    anchors when the head samples), for ``reg`` those with ``bbox_weight > 0``
    (positives). If every weighter of a term declares ``positives_only``, only
    the positives are handed over (a dense head has ~10^5 negatives per image).

    - ``pred`` box of an entry: its anchor decoded with the (detached)
      regression output and clipped to the image (``img_shape``), i.e. the box
      the head would output for it at test time (mmdet decodes RPN proposals
      and dense-head detections with ``max_shape=img_shape``).
    - ``gt`` box: the ground truth the anchor was matched to, exactly as the
      assigner matched it (taken from the targets, see
      :meth:`matched_gt_boxes`; not rebuilt from the regression target, which
      ``wh_ratio_clip`` would distort for boxes of extreme shape).
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

    def matched_gt_boxes(self, targets: tuple) -> List[Tensor]:
        """Per level, (num_imgs, num_anchors, 4): the GT box each anchor was
        matched to (rows of unmatched anchors are undefined), read from the
        tuple ``get_targets`` returned."""
        raise NotImplementedError

    def apply_loss_weighters(self, anchor_list: List[List[Tensor]], targets: tuple,
                             cls_scores: List[Tensor], bbox_preds: List[Tensor],
                             batch_img_metas: List[dict]) -> tuple:
        """Multiply each term's box weights into the targets of ``get_targets``
        (``label_weights`` for cls, ``bbox_weights`` for reg; in place: the
        head made them for this call) and return the targets.

        Args:
            anchor_list (list[list[Tensor]]): per image, per level anchors
                (as ``get_anchors`` returns them).
            targets (tuple): what the head's ``get_targets`` returned.
            cls_scores, bbox_preds (list[Tensor]): the head's outputs per
                level, (N, A * C, H, W) and (N, A * 4, H, W).
            batch_img_metas (list[dict]): ``img_shape`` clips the ``pred`` boxes.
        """
        if not self.loss_weighters:
            return targets
        s = self.targets_start
        labels, label_weights, bbox_targets, bbox_weights = targets[s:s + 4]
        gt_bboxes = self.matched_gt_boxes(targets)
        img_hw = bbox_preds[0].new_tensor([meta['img_shape'][:2] for meta in batch_img_metas],
                                          dtype=torch.float32)
        for term, weighters in self.loss_weighters.items():
            positives_only = all(getattr(w, 'positives_only', False) for w in weighters)
            boxes, entries = self._weighting_boxes(term, anchor_list, cls_scores, bbox_preds,
                                                   labels, label_weights, bbox_targets,
                                                   bbox_weights, gt_bboxes, img_hw,
                                                   positives_only)
            _scatter_weights(label_weights if term == 'cls' else bbox_weights, entries,
                             combine_weights(weighters, boxes))
        return targets

    def _weighting_boxes(self, term, anchor_list, cls_scores, bbox_preds, labels, label_weights,
                         bbox_targets, bbox_weights, gt_bboxes, img_hw,
                         positives_only) -> Tuple[WeightingBoxes, List[Tuple[Tensor, Tensor]]]:
        num_imgs = len(anchor_list)
        enc = self.bbox_coder.encode_size
        A = self.num_base_priors
        parts = dict(anchors=[], deltas=[], scores=[], labels=[], targets=[], gts=[],
                     img_inds=[])
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
            parts['gts'].append(get_box_tensor(gt_bboxes[lvl])[img, j])
            parts['img_inds'].append(img)
        p = {k: torch.cat(v) for k, v in parts.items()}
        decoded = get_box_tensor(self.bbox_coder.decode(p['anchors'], p['deltas']))
        hw = img_hw[p['img_inds']]
        bound = torch.stack([hw[:, 1], hw[:, 0], hw[:, 1], hw[:, 0]], dim=1)
        pred_boxes = torch.minimum(decoded.clamp(min=0), bound)  # as mmdet's max_shape
        is_pos = (p['labels'] >= 0) & (p['labels'] < self.num_classes)

        def cls_loss():
            return self.loss_cls(p['scores'].detach(), p['labels'], reduction_override='none')

        def reg_loss():  # the head's own (unclipped) regression loss of each entry
            if self.reg_decoded_bbox:
                return self.loss_bbox(decoded, p['targets'], reduction_override='none')
            return self.loss_bbox(p['deltas'], p['targets'], reduction_override='none')

        boxes = WeightingBoxes(
            pred_boxes=pred_boxes, gt_boxes=p['gts'], is_pos=is_pos, labels=p['labels'],
            img_inds=p['img_inds'], loss_fn=cls_loss if term == 'cls' else reg_loss)
        return boxes, entries


class BoxWeightedAnchorHeadMixin(BoxWeightedDenseHeadMixin):
    """Per-box loss weights and score-aware assignment for heads built on
    mmdet's ``AnchorHead`` targets (RPN, RetinaNet, ...), mixed in before the
    head (``class X(BoxWeightedAnchorHeadMixin, RetinaHead)``).

    It re-implements ``AnchorHead.loss_by_feat``, ``get_targets`` and
    ``_get_targets_single`` with what each step needs passed on as arguments,
    the way mmdet's TOOD head does; nothing is kept on the head or its
    assigner between calls. Top to bottom:

    1. :meth:`loss_by_feat` hands the classification outputs to
       :meth:`get_targets` (``cls_scores=``);
    2. if the assigner uses scores (``assigner.uses_scores``, e.g.
       ``IoUClsAwareAssigner``), :meth:`get_targets` turns them into detached
       per-image probabilities (sigmoid, or softmax without the background
       column) in the order of the image's concatenated anchors, and
       :meth:`_get_targets_single` gives the assigner those of the anchors
       inside the image as ``pred_instances.scores``;
    3. :meth:`_get_targets_single` also returns the GT box each anchor was
       matched to (from its ``SamplingResult``); :meth:`get_targets` returns
       them per level as the last element of its tuple;
    4. :meth:`loss_by_feat` multiplies the weights into the targets
       (:meth:`apply_loss_weighters`) and computes the per-level losses with
       the head's own ``loss_by_feat_single``.

    With no weighters and an assigner that ignores scores the losses are the
    stock head's.
    """

    def loss_by_feat(self, cls_scores: List[Tensor], bbox_preds: List[Tensor],
                     batch_gt_instances: InstanceList, batch_img_metas: List[dict],
                     batch_gt_instances_ignore: OptInstanceList = None) -> dict:
        """``AnchorHead.loss_by_feat`` with the head's outputs passed on to
        the targets and the weighters. Returns ``dict(loss_cls, loss_bbox)``."""
        featmap_sizes = [featmap.size()[-2:] for featmap in cls_scores]
        assert len(featmap_sizes) == self.prior_generator.num_levels
        anchor_list, valid_flag_list = self.get_anchors(featmap_sizes, batch_img_metas,
                                                        device=cls_scores[0].device)
        targets = self.get_targets(anchor_list, valid_flag_list, batch_gt_instances,
                                   batch_img_metas, batch_gt_instances_ignore,
                                   cls_scores=cls_scores)
        targets = self.apply_loss_weighters(anchor_list, targets, cls_scores, bbox_preds,
                                            batch_img_metas)
        labels_list, label_weights_list, bbox_targets_list, bbox_weights_list, avg_factor = \
            targets[:5]
        num_level_anchors = [anchors.size(0) for anchors in anchor_list[0]]
        all_anchor_list = images_to_levels([cat_boxes(a) for a in anchor_list],
                                           num_level_anchors)
        losses_cls, losses_bbox = multi_apply(
            self.loss_by_feat_single, cls_scores, bbox_preds, all_anchor_list, labels_list,
            label_weights_list, bbox_targets_list, bbox_weights_list, avg_factor=avg_factor)
        return dict(loss_cls=losses_cls, loss_bbox=losses_bbox)

    def matched_gt_boxes(self, targets: tuple) -> List[Tensor]:
        return targets[-1]

    def assign_scores(self, cls_scores: Optional[List[Tensor]],
                      num_imgs: int) -> List[Optional[Tensor]]:
        """Per image, the detached class probabilities of its concatenated
        anchors, (num_anchors, num_classes), for an assigner that uses them;
        ``None`` per image when the assigner does not or no scores are given.

        Args:
            cls_scores (list[Tensor], optional): the head's classification
                outputs per level, (N, A * cls_out_channels, H, W).
        """
        if cls_scores is None or not getattr(self.assigner, 'uses_scores', False):
            return [None] * num_imgs
        flat = torch.cat([
            s.detach().permute(0, 2, 3, 1).reshape(num_imgs, -1, self.cls_out_channels)
            for s in cls_scores
        ], dim=1)
        probs = flat.sigmoid() if self.use_sigmoid_cls else flat.softmax(-1)[..., :self.num_classes]
        return list(probs)

    def get_targets(self, anchor_list: List[List[Tensor]], valid_flag_list: List[List[Tensor]],
                    batch_gt_instances: InstanceList, batch_img_metas: List[dict],
                    batch_gt_instances_ignore: OptInstanceList = None,
                    unmap_outputs: bool = True, return_sampling_results: bool = False,
                    cls_scores: Optional[List[Tensor]] = None) -> tuple:
        """``AnchorHead.get_targets`` with class scores for the assigner.

        Args:
            cls_scores (list[Tensor], optional): the head's classification
                outputs per level, (N, A * cls_out_channels, H, W); used only
                if the assigner uses scores (:meth:`assign_scores`).
            Others: as ``AnchorHead.get_targets``.

        Returns:
            tuple: ``(labels_list, label_weights_list, bbox_targets_list,
            bbox_weights_list, avg_factor[, sampling_results_list],
            gt_bboxes_list)``: as ``AnchorHead.get_targets``, then per level
            (num_imgs, num_anchors, 4) the GT box each anchor was matched to
            (zeros for unmatched anchors).
        """
        num_imgs = len(batch_img_metas)
        assert len(anchor_list) == len(valid_flag_list) == num_imgs
        if batch_gt_instances_ignore is None:
            batch_gt_instances_ignore = [None] * num_imgs
        num_level_anchors = [anchors.size(0) for anchors in anchor_list[0]]
        concat_anchor_list = [cat_boxes(anchors) for anchors in anchor_list]
        concat_valid_flag_list = [torch.cat(flags) for flags in valid_flag_list]
        (all_labels, all_label_weights, all_bbox_targets, all_bbox_weights, _, _,
         sampling_results_list, all_gt_bboxes) = multi_apply(
             self._get_targets_single, concat_anchor_list, concat_valid_flag_list,
             batch_gt_instances, batch_img_metas, batch_gt_instances_ignore,
             self.assign_scores(cls_scores, num_imgs), unmap_outputs=unmap_outputs)
        avg_factor = sum([results.avg_factor for results in sampling_results_list])
        # as AnchorHead.get_targets: mmdet's record for ``get_positive_infos``
        self._raw_positive_infos.update(sampling_results=sampling_results_list)
        res = tuple(
            images_to_levels(x, num_level_anchors)
            for x in (all_labels, all_label_weights, all_bbox_targets, all_bbox_weights))
        res = res + (avg_factor, )
        if return_sampling_results:
            res = res + (sampling_results_list, )
        return res + (images_to_levels(all_gt_bboxes, num_level_anchors), )

    def _get_targets_single(self, flat_anchors, valid_flags: Tensor,
                            gt_instances: InstanceData, img_meta: dict,
                            gt_instances_ignore: Optional[InstanceData] = None,
                            cls_scores: Optional[Tensor] = None,
                            unmap_outputs: bool = True) -> tuple:
        """``AnchorHead._get_targets_single`` with ``cls_scores``
        (num_anchors, num_classes) of the image's anchors, handed to the
        assigner as ``pred_instances.scores`` of the anchors inside the image,
        and with the matched GT box of each anchor as an eighth output."""
        inside_flags = anchor_inside_flags(flat_anchors, valid_flags, img_meta['img_shape'][:2],
                                           self.train_cfg['allowed_border'])
        if not inside_flags.any():
            raise ValueError(
                'There is no valid anchor inside the image boundary. Please '
                'check the image size and anchor sizes, or set '
                '``allowed_border`` to -1 to skip the condition.')
        anchors = flat_anchors[inside_flags]
        pred_instances = InstanceData(priors=anchors)
        if cls_scores is not None:
            pred_instances.scores = cls_scores[inside_flags]
        assign_result = self.assigner.assign(pred_instances, gt_instances, gt_instances_ignore)
        sampling_result = self.sampler.sample(assign_result, pred_instances, gt_instances)

        num_valid_anchors = anchors.shape[0]
        target_dim = gt_instances.bboxes.size(-1) if self.reg_decoded_bbox \
            else self.bbox_coder.encode_size
        bbox_targets = anchors.new_zeros(num_valid_anchors, target_dim)
        bbox_weights = anchors.new_zeros(num_valid_anchors, target_dim)
        gt_bboxes = get_box_tensor(anchors).new_zeros(num_valid_anchors, 4)
        labels = anchors.new_full((num_valid_anchors, ), self.num_classes, dtype=torch.long)
        label_weights = anchors.new_zeros(num_valid_anchors, dtype=torch.float)

        pos_inds = sampling_result.pos_inds
        neg_inds = sampling_result.neg_inds
        if len(pos_inds) > 0:
            pos_gt_bboxes = get_box_tensor(sampling_result.pos_gt_bboxes)
            if not self.reg_decoded_bbox:
                pos_bbox_targets = self.bbox_coder.encode(sampling_result.pos_priors,
                                                          sampling_result.pos_gt_bboxes)
            else:
                pos_bbox_targets = pos_gt_bboxes
            bbox_targets[pos_inds, :] = pos_bbox_targets
            bbox_weights[pos_inds, :] = 1.0
            gt_bboxes[pos_inds, :] = pos_gt_bboxes
            labels[pos_inds] = sampling_result.pos_gt_labels
            if self.train_cfg['pos_weight'] <= 0:
                label_weights[pos_inds] = 1.0
            else:
                label_weights[pos_inds] = self.train_cfg['pos_weight']
        if len(neg_inds) > 0:
            label_weights[neg_inds] = 1.0

        if unmap_outputs:
            num_total_anchors = flat_anchors.size(0)
            labels = unmap(labels, num_total_anchors, inside_flags, fill=self.num_classes)
            label_weights = unmap(label_weights, num_total_anchors, inside_flags)
            bbox_targets = unmap(bbox_targets, num_total_anchors, inside_flags)
            bbox_weights = unmap(bbox_weights, num_total_anchors, inside_flags)
            gt_bboxes = unmap(gt_bboxes, num_total_anchors, inside_flags)
        return (labels, label_weights, bbox_targets, bbox_weights, pos_inds, neg_inds,
                sampling_result, gt_bboxes)


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
