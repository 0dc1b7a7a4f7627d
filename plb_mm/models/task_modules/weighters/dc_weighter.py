import torch
from torch import Tensor

from mmdet.registry import TASK_UTILS

from .box_weighter import BaseBoxWeighter, WeightingBoxes, sum_over_ranks

NORM_SCOPES = ('batch', 'global')


def dynamic_coefficient(pred_boxes: Tensor, gt_boxes: Tensor, eps: float = 1e-6) -> Tensor:
    r"""Zhang et al., Eq. 2 with SPEC section 3's normalised centre offset:

    .. math:: \lambda = \frac{1}{\sigma(d^2) + \tanh(|w/h - \hat w/\hat h|) + \epsilon},
              \quad d^2 = (\Delta x / w)^2 + (\Delta y / h)^2

    (:math:`w, h`: the GT's size; :math:`\Delta`: centre of prediction minus
    centre of GT). Perfect localisation gives the largest value,
    :math:`1 / (0.5 + \epsilon) \approx 2`. Sides are clamped to ``eps``, so
    zero-size boxes give finite values.
    """
    gw = (gt_boxes[:, 2] - gt_boxes[:, 0]).clamp(min=eps)
    gh = (gt_boxes[:, 3] - gt_boxes[:, 1]).clamp(min=eps)
    pw = (pred_boxes[:, 2] - pred_boxes[:, 0]).clamp(min=eps)
    ph = (pred_boxes[:, 3] - pred_boxes[:, 1]).clamp(min=eps)
    dx = (pred_boxes[:, 0] + pred_boxes[:, 2] - gt_boxes[:, 0] - gt_boxes[:, 2]) / 2
    dy = (pred_boxes[:, 1] + pred_boxes[:, 3] - gt_boxes[:, 1] - gt_boxes[:, 3]) / 2
    d2 = (dx / gw)**2 + (dy / gh)**2
    return 1 / (torch.sigmoid(d2) + torch.tanh((gw / gh - pw / ph).abs()) + eps)


@TASK_UTILS.register_module()
class DCWeighter(BaseBoxWeighter):
    r"""Dynamic coefficient (DC) loss weights for the positives of a dense
    head's classification loss (Zhang et al., Eqs. 2-4; SPEC section 3).

    For positive i with decoded prediction and matched GT,
    :math:`\lambda_i` is :func:`dynamic_coefficient`; it is normalised so that
    the positives' total classification loss is unchanged (Eq. 3):

    .. math:: \lambda'_i = \lambda_i \frac{\sum_j L_j}{\sum_j \lambda_j L_j}

    over the positives of the batch, :math:`L_j` the unreduced, unweighted
    classification loss of positive j (summed over classes). Negatives keep
    weight 1; the weights are detached. A well-localised positive thus pulls
    the classifier harder and a poorly localised one less (Eq. 4).

    The total is kept only when DC is the only weighter on the term: the
    weights of a term multiply (SPEC 0), and :math:`L_j` is the loss before
    any weighting, so with another weighter :math:`v` on the same term the
    weighted total is :math:`\sum_j v_j \lambda'_j L_j`, which in general
    differs from :math:`\sum_j v_j L_j`.

    Args:
        eps (float): :math:`\epsilon` of Eq. 2 and the side clamp. Default 1e-6.
        norm_scope (str): over which positives the two sums of Eq. 3 run.
            ``'batch'`` (default): the positives of this rank's batch, so that
            each GPU keeps its own positives' total (the normalisation then
            changes with the number of GPUs at the same total batch);
            ``'global'``: the positives of all ranks (an all-reduce of both
            sums), so the total over all GPUs is kept and the weights are
            those of one process holding the whole batch; equal to
            ``'batch'`` when not distributed.
    """

    positives_only = True

    def __init__(self, eps: float = 1e-6, norm_scope: str = 'batch'):
        if norm_scope not in NORM_SCOPES:
            raise ValueError(f'DCWeighter: norm_scope must be one of {NORM_SCOPES}, '
                             f'got {norm_scope!r}')
        self.eps = eps
        self.norm_scope = norm_scope

    @property
    def collective(self) -> bool:
        return self.norm_scope == 'global'

    def weights(self, boxes: WeightingBoxes) -> Tensor:
        w = boxes.pred_boxes.new_ones(len(boxes))
        pos = boxes.is_pos
        if pos.any():
            lam = dynamic_coefficient(boxes.pred_boxes[pos].float(),
                                      boxes.gt_boxes[pos].float(), self.eps)
            losses = boxes.losses()[pos].float()
            sums = torch.stack([losses.sum(), (lam * losses).sum()])
        else:
            lam, sums = None, w.new_zeros(2, dtype=torch.float32)
        if self.norm_scope == 'global':  # this rank joins even without positives
            sums = sum_over_ranks(sums)
        if lam is None:
            return w
        if sums[1] > 0:
            lam = lam * sums[0] / sums[1]
        else:  # every positive has zero loss: any weights keep the sum (zero)
            lam = torch.ones_like(lam)
        w[pos] = lam.to(w.dtype)
        return w
