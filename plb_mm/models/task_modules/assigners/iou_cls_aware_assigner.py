from typing import Optional

import torch
from mmengine.structures import InstanceData
from torch import Tensor

from mmdet.models.task_modules.assigners import AssignResult, MaxIoUAssigner
from mmdet.models.task_modules.assigners.max_iou_assigner import perm_repeat_bboxes
from mmdet.registry import TASK_UTILS
from mmdet.structures.bbox import get_box_tensor


@TASK_UTILS.register_module()
class IoUClsAwareAssigner(MaxIoUAssigner):
    r"""IoU-classification-aware anchor assignment (Zhang et al., Eqs. 6-7;
    SPEC section 3).

    Starts from :class:`MaxIoUAssigner` (same thresholds, low-quality matching
    and ignore handling) and makes more anchors positive: for anchor :math:`i`
    and its corresponding ground truth :math:`g` (the one of highest IoU),

    .. math:: s_i = \alpha\, p_i(c_g) + (1 - \alpha)
              \frac{|b_i \cap b_g|}{\min(|b_i|, |b_g|)}

    with :math:`p_i(c_g)` the detached predicted probability of :math:`g`'s
    class at anchor :math:`i`. Anchor :math:`i` is positive if
    :math:`IoU \ge` ``pos_iou_thr`` or :math:`s_i \ge` ``score_thr`` (it must
    overlap :math:`g`); negative if :math:`IoU <` ``neg_iou_thr`` and not
    positive; otherwise ignored. This recovers anchors that hold much of an
    irregular or small object and already classify it, but whose IoU is low.

    The head passes the probabilities as ``pred_instances.scores``
    (``(num_priors, num_classes)``), as mmdet's TOOD head does for its
    assigner; without them (e.g. a head that does not feed them) the result
    is exactly :class:`MaxIoUAssigner`'s. The assigner keeps no state between
    calls.

    Args:
        alpha (float): weight of the class probability. Default 0.75.
        score_thr (float): threshold on :math:`s`. Default 0.5.
        min_iou (float): not in the paper (0, the default, is the paper's
            rule): an anchor becomes positive through :math:`s` only if its
            IoU with :math:`g` is at least this. The paper's rule can run
            away when training from scratch on dense cells: anchors that a
            confident head scores highly become positives, which makes the
            head more confident there (``docs/decisions.md``).
        Other arguments: as :class:`MaxIoUAssigner` (``pos_iou_thr`` 0.5,
        ``neg_iou_thr`` 0.4 by default here, RetinaNet's).
    """

    uses_scores = True

    def __init__(self, pos_iou_thr: float = 0.5, neg_iou_thr: float = 0.4,
                 alpha: float = 0.75, score_thr: float = 0.5, min_pos_iou: float = 0.,
                 min_iou: float = 0., **kwargs):
        super().__init__(pos_iou_thr=pos_iou_thr, neg_iou_thr=neg_iou_thr,
                         min_pos_iou=min_pos_iou, **kwargs)
        if not 0 <= alpha <= 1:
            raise ValueError(f'IoUClsAwareAssigner: alpha must be in [0, 1], got {alpha}')
        self.alpha = alpha
        self.score_thr = score_thr
        self.min_iou = min_iou

    @torch.no_grad()
    def assign(self, pred_instances: InstanceData, gt_instances: InstanceData,
               gt_instances_ignore: Optional[InstanceData] = None, **kwargs) -> AssignResult:
        """Assign ground truths to ``pred_instances.priors`` (n, 4).

        ``pred_instances.scores`` (n, num_classes), optional: detached class
        probabilities of the priors. Returns an :class:`AssignResult` as
        :class:`MaxIoUAssigner` does (``gt_inds``: 0 negative, -1 ignored,
        k > 0 the k-th GT).

        Steps: the IoU matrix (with ``ignore_iof_thr`` handling) as in
        :meth:`MaxIoUAssigner.assign`; :meth:`assign_wrt_overlaps` (MaxIoU's
        rule, low-quality matching included); then :meth:`add_score_positives`.
        """
        scores = pred_instances.get('scores')
        if scores is None:
            return super().assign(pred_instances, gt_instances, gt_instances_ignore, **kwargs)
        priors = pred_instances.priors
        gt_bboxes, gt_labels = gt_instances.bboxes, gt_instances.labels
        gt_bboxes_ignore = None if gt_instances_ignore is None else gt_instances_ignore.bboxes
        if scores.shape[0] != priors.shape[0]:
            raise ValueError(f'IoUClsAwareAssigner: {scores.shape[0]} score rows for '
                             f'{priors.shape[0]} priors')
        device = priors.device
        if self.gpu_assign_thr > 0 and gt_bboxes.shape[0] > self.gpu_assign_thr:
            priors, gt_bboxes, gt_labels, scores = (
                t.cpu() for t in (priors, gt_bboxes, gt_labels, scores))
            if gt_bboxes_ignore is not None:
                gt_bboxes_ignore = gt_bboxes_ignore.cpu()

        if self.perm_repeat_gt_cfg is not None and priors.numel() > 0:
            gt_bboxes_unique = perm_repeat_bboxes(gt_bboxes, self.iou_calculator,
                                                  self.perm_repeat_gt_cfg)
        else:
            gt_bboxes_unique = gt_bboxes
        overlaps = self.iou_calculator(gt_bboxes_unique, priors)
        if (self.ignore_iof_thr > 0 and gt_bboxes_ignore is not None
                and gt_bboxes_ignore.numel() > 0 and priors.numel() > 0):
            if self.ignore_wrt_candidates:
                ignore_max = self.iou_calculator(priors, gt_bboxes_ignore, mode='iof').max(1)[0]
            else:
                ignore_max = self.iou_calculator(gt_bboxes_ignore, priors, mode='iof').max(0)[0]
            overlaps[:, ignore_max > self.ignore_iof_thr] = -1

        result = self.assign_wrt_overlaps(overlaps, gt_labels)
        self.add_score_positives(result, overlaps, get_box_tensor(priors),
                                 get_box_tensor(gt_bboxes), gt_labels, scores)
        result.gt_inds = result.gt_inds.to(device)
        result.max_overlaps = result.max_overlaps.to(device)
        result.labels = result.labels.to(device)
        return result

    def add_score_positives(self, result: AssignResult, overlaps: Tensor, priors: Tensor,
                            gt_bboxes: Tensor, gt_labels: Tensor, scores: Tensor) -> None:
        r"""Eq. 7: make prior i positive (for its max-IoU GT g) where
        :math:`s_i \ge` ``score_thr``, IoU > 0 and IoU >= ``min_iou``, if
        MaxIoU's rule did not already (in place on ``result``).

        Args:
            overlaps (Tensor): (num_gts, n) IoU; -1 for priors ignored by iof
                (which stay ignored).
            priors (Tensor): (n, 4). gt_bboxes (Tensor): (num_gts, 4).
            gt_labels (Tensor): (num_gts, ). scores (Tensor): (n, num_classes).
        """
        num_gts, num_priors = overlaps.shape
        if num_gts == 0 or num_priors == 0:
            return
        max_iou, g = overlaps.max(dim=0)
        p = scores.to(overlaps.device).gather(1, gt_labels[g].long()[:, None])[:, 0]
        s = self.iou_cls_score(priors, gt_bboxes[g], p)
        new_pos = ((s >= self.score_thr) & (max_iou > 0) & (max_iou >= self.min_iou)
                   & (result.gt_inds <= 0))
        result.gt_inds[new_pos] = g[new_pos] + 1
        result.labels[new_pos] = gt_labels[g[new_pos]]

    def iou_cls_score(self, priors: Tensor, gt_bboxes: Tensor, probs: Tensor) -> Tensor:
        """Eq. 6 for paired rows of ``priors``, ``gt_bboxes`` (n, 4) and the
        probabilities ``probs`` (n, ) of the GTs' classes."""
        lt = torch.max(priors[:, :2], gt_bboxes[:, :2])
        rb = torch.min(priors[:, 2:4], gt_bboxes[:, 2:4])
        inter = (rb - lt).clamp(min=0).prod(-1)
        area_p = (priors[:, 2:4] - priors[:, :2]).clamp(min=0).prod(-1)
        area_g = (gt_bboxes[:, 2:4] - gt_bboxes[:, :2]).clamp(min=0).prod(-1)
        contain = inter / torch.min(area_p, area_g).clamp(min=1e-6)
        return self.alpha * probs + (1 - self.alpha) * contain
