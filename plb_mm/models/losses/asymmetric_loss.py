from typing import Optional, Union

import torch
import torch.nn as nn
from torch import Tensor

from mmdet.models.losses.utils import weight_reduce_loss
from mmdet.registry import MODELS


def asymmetric_loss(pred: Tensor,
                    target: Tensor,
                    gamma_neg: float = 4.,
                    gamma_pos: float = 1.,
                    clip: float = 0.05,
                    eps: float = 1e-8,
                    disable_grad_focal: bool = False) -> Tensor:
    r"""Element-wise asymmetric loss (Ridnik et al., "Asymmetric Loss For
    Multi-Label Classification", ICCV 2021, Eqs. 4-7).

    With ``p = sigmoid(pred)`` and the shifted probability of the negatives
    ``p_m = max(p - clip, 0)`` (Eq. 6):

    .. math::
        L_+ = -(1 - p)^{\gamma_+} \log p, \qquad
        L_- = -p_m^{\gamma_-} \log(1 - p_m)

    (Eq. 7). ``1 - p`` is computed as ``sigmoid(-pred)`` and ``1 - p_m`` as
    ``min(sigmoid(-pred) + clip, 1)`` (Ridnik's reference code), both clamped
    below at ``eps`` before the log. A negative with ``p <= clip`` contributes
    exactly 0 and no gradient, also at ``p = clip`` with ``gamma_neg = 0``
    (where the reference's ``clamp(max=1)`` passes the right-hand derivative).
    Entries whose target is -1 (unknown) are 0 and send no gradient to
    ``pred``.

    Args:
        pred (Tensor): logits, shape (n, A).
        target (Tensor): shape (n, A), values 1 (positive), 0 (negative) or
            -1 (unknown).
        gamma_neg (float): ``gamma_-`` >= 0. Defaults to 4.
        gamma_pos (float): ``gamma_+`` >= 0. Defaults to 1.
        clip (float): probability margin ``m`` in [0, 1) of the negatives;
            0 turns clipping off. Defaults to 0.05.
        eps (float): lower bound of the probabilities inside the logs.
            Defaults to 1e-8.
        disable_grad_focal (bool): compute the focusing weights
            ``(1 - p)^gamma_+`` and ``p_m^gamma_-`` without gradient (Ridnik's
            ``disable_torch_grad_focal_loss``). Defaults to False.

    Returns:
        Tensor: the loss of each entry, shape (n, A), 0 where the target is -1.
    """
    pred = pred.float()
    pos = target == 1
    neg = target == 0
    p = pred.sigmoid()
    one_minus_p = (-pred).sigmoid()
    log_pos = p.clamp(min=eps).log()
    if clip > 0:
        # 1 - p_m = min(1 - p + clip, 1); log 1 = 0, with no gradient at p = clip either
        one_minus_p_m = one_minus_p + clip
        log_neg = torch.where(one_minus_p_m < 1., one_minus_p_m.clamp(min=eps).log(),
                              pred.new_zeros(()))
    else:
        log_neg = one_minus_p.clamp(min=eps).log()
    with torch.set_grad_enabled(torch.is_grad_enabled() and not disable_grad_focal):
        # 1 - p and p_m; a gamma of 0 gives weight 1 (and no 0 ** -1 in the gradient)
        w_pos = one_minus_p.pow(gamma_pos) if gamma_pos > 0 else torch.ones_like(p)
        p_m = (p - clip).clamp(min=0.) if clip > 0 else p
        w_neg = p_m.pow(gamma_neg) if gamma_neg > 0 else torch.ones_like(p)
    zero = pred.new_zeros(())
    return -torch.where(pos, w_pos * log_pos, torch.where(neg, w_neg * log_neg, zero))


@MODELS.register_module()
class AsymmetricLoss(nn.Module):
    r"""Asymmetric loss (ASL, Ridnik et al. ICCV 2021) for multi-label binary
    targets with unknown entries: the attribute loss of SLA-Det's AttriHead
    (6 morphological attributes per cell, SPEC section 4). See
    :func:`asymmetric_loss` for the formula.

    ``forward(pred, target, weight=None, avg_factor=None,
    reduction_override=None)``: ``pred`` (n, A) logits (the sigmoid is applied
    inside), ``target`` (n, A) with 1, 0 or -1 (unknown), ``weight`` (n, A)
    or (n, ) (one weight per row). Unknown entries add nothing to the loss
    and do not count in the normaliser.

    Reduction. Ridnik's reference code returns the sum of the element-wise
    loss; the SLA-Det authors' code divides that sum by the number of cells
    in the batch (``utils/my_model.py``, ``cell_training``), after dropping
    every cell that has an unknown attribute. Here unknown entries are
    masked one by one, and the default normaliser is the number of known
    entries, so the loss does not scale with the number of attributes:

    - ``'mean'``: sum over the known entries divided by the number of known
      entries (weights do not change the count, as in mmdet's
      ``weight_reduce_loss``); a batch with no known entry, or no rows,
      gives 0, still in the graph. ``avg_factor``, when given, replaces the
      count.
    - ``'sum'``: sum over the entries (``avg_factor`` not allowed, as in mmdet).
    - ``'none'``: the (n, A) element-wise loss, 0 at unknown entries.

    Args:
        gamma_neg (float): focusing exponent of the negatives. Defaults to 4.
        gamma_pos (float): focusing exponent of the positives. Defaults to 1.
        clip (float): probability margin of the negatives. Defaults to 0.05.
        eps (float): lower bound inside the logs. Defaults to 1e-8.
        disable_grad_focal (bool): focusing weights without gradient.
            Defaults to False.
        reduction (str): 'none', 'mean' or 'sum'. Defaults to 'mean'.
        loss_weight (float): multiplies the loss. Defaults to 1.0.

    Example (SPEC section 4 defaults)::

        loss_attr = dict(type='AsymmetricLoss', gamma_neg=4, gamma_pos=1, clip=0.05)
    """

    def __init__(self,
                 gamma_neg: float = 4.,
                 gamma_pos: float = 1.,
                 clip: float = 0.05,
                 eps: float = 1e-8,
                 disable_grad_focal: bool = False,
                 reduction: str = 'mean',
                 loss_weight: float = 1.0) -> None:
        super().__init__()
        if gamma_neg < 0 or gamma_pos < 0:
            raise ValueError(f'AsymmetricLoss: gamma_neg and gamma_pos must be >= 0, got '
                             f'{gamma_neg} and {gamma_pos}')
        if not 0. <= clip < 1.:
            raise ValueError(f'AsymmetricLoss: clip must lie in [0, 1), got {clip}')
        if reduction not in ('none', 'mean', 'sum'):
            raise ValueError(f"AsymmetricLoss: reduction must be 'none', 'mean' or 'sum', "
                             f'got {reduction!r}')
        self.gamma_neg = gamma_neg
        self.gamma_pos = gamma_pos
        self.clip = clip
        self.eps = eps
        self.disable_grad_focal = disable_grad_focal
        self.reduction = reduction
        self.loss_weight = loss_weight

    def forward(self,
                pred: Tensor,
                target: Tensor,
                weight: Optional[Tensor] = None,
                avg_factor: Optional[Union[float, Tensor]] = None,
                reduction_override: Optional[str] = None) -> Tensor:
        assert reduction_override in (None, 'none', 'mean', 'sum')
        reduction = reduction_override if reduction_override else self.reduction
        if pred.dim() != 2 or target.shape != pred.shape:
            raise ValueError(f'AsymmetricLoss: expected pred and target of the same shape '
                             f'(n, A), got {tuple(pred.shape)} and {tuple(target.shape)}')
        if target.numel() and not ((target == 1) | (target == 0) | (target == -1)).all():
            raise ValueError('AsymmetricLoss: target values must be 1, 0 or -1 (unknown), got '
                             f'{sorted(set(target.unique().tolist()))}')
        loss = asymmetric_loss(pred, target, self.gamma_neg, self.gamma_pos, self.clip,
                               self.eps, self.disable_grad_focal)
        if weight is not None:
            if weight.shape not in (pred.shape, pred.shape[:1]):
                raise ValueError(f'AsymmetricLoss: weight must be (n, A) or (n, ), got '
                                 f'{tuple(weight.shape)} for pred {tuple(pred.shape)}')
            weight = weight.float()
            if weight.dim() == 1:
                weight = weight[:, None]
        if reduction == 'mean' and avg_factor is None:
            # the number of known entries; 1 when there is none (the sum is then 0)
            avg_factor = (target != -1).sum().clamp(min=1).float()
        return self.loss_weight * weight_reduce_loss(
            loss, weight=weight, reduction=reduction, avg_factor=avg_factor)
