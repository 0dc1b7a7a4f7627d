from typing import Optional

import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from mmdet.models.losses.utils import weight_reduce_loss


def soft_target_cross_entropy(cls_score: Tensor, target: Tensor) -> Tensor:
    """Cross entropy of softmax logits against a target distribution.

    ``loss_i = -sum_c target_ic * log softmax(cls_score_i)_c``; with a one-hot
    target it is ``F.cross_entropy`` element-wise. The target is taken as given
    (callers detach what must not be differentiated).

    Args:
        cls_score (Tensor): logits, shape (N, C).
        target (Tensor): target distributions, shape (N, C), rows summing to 1.

    Returns:
        Tensor: the loss of each sample, shape (N, ).
    """
    log_p = F.log_softmax(cls_score.float(), dim=-1)
    return -(target * log_p).sum(dim=-1)


class SoftTargetCrossEntropyLoss(nn.Module):
    """Base of the softmax classification losses whose target is a
    distribution built from the label: the subclass gives
    :meth:`soft_target`, this class keeps mmdet's loss contract.

    ``forward(cls_score, label, weight=None, avg_factor=None,
    reduction_override=None)`` as mmdet's ``CrossEntropyLoss``: ``cls_score``
    (N, C) logits over all C channels (for mmdet's RoI head C = num_classes + 1,
    background last), ``label`` (N, ) in [0, C), ``weight`` (N, ) a per-sample
    weight, reduction by ``weight_reduce_loss``. The attributes mmdet's heads
    read (``use_sigmoid``, ``custom_cls_channels``, ``custom_activation``,
    ``custom_accuracy``) are those of a plain softmax loss, so the head keeps
    C = num_classes + 1 logits, its softmax scores and its accuracy.

    Args:
        reduction (str): 'none', 'mean' or 'sum'. Defaults to 'mean'.
        loss_weight (float): multiplies the loss. Defaults to 1.0.
    """

    use_sigmoid = False
    custom_cls_channels = False
    custom_activation = False
    custom_accuracy = False

    def __init__(self, reduction: str = 'mean', loss_weight: float = 1.0) -> None:
        super().__init__()
        if reduction not in ('none', 'mean', 'sum'):
            raise ValueError(f"{type(self).__name__}: reduction must be 'none', 'mean' or "
                             f"'sum', got {reduction!r}")
        self.reduction = reduction
        self.loss_weight = loss_weight

    def soft_target(self, cls_score: Tensor, label: Tensor) -> Tensor:
        """The target distribution (N, C) of each sample, without gradient."""
        raise NotImplementedError

    def forward(self,
                cls_score: Tensor,
                label: Tensor,
                weight: Optional[Tensor] = None,
                avg_factor: Optional[float] = None,
                reduction_override: Optional[str] = None) -> Tensor:
        assert reduction_override in (None, 'none', 'mean', 'sum')
        reduction = reduction_override if reduction_override else self.reduction
        if cls_score.dim() != 2 or label.shape != cls_score.shape[:1]:
            raise ValueError(f'{type(self).__name__}: expected cls_score (N, C) and label (N, ), '
                             f'got {tuple(cls_score.shape)} and {tuple(label.shape)}')
        num_channels = cls_score.size(1)
        if label.numel() and (label.min() < 0 or label.max() >= num_channels):
            raise ValueError(f'{type(self).__name__}: labels must lie in [0, {num_channels}) '
                             f'(one per logit, background included), got '
                             f'[{label.min().item()}, {label.max().item()}]')
        if cls_score.numel() == 0 and reduction != 'none':
            return cls_score.sum() * 0.  # no samples: zero, still in the graph
        target = self.soft_target(cls_score, label)
        loss = soft_target_cross_entropy(cls_score, target)
        if weight is not None:
            weight = weight.float()
        loss = weight_reduce_loss(loss, weight=weight, reduction=reduction,
                                  avg_factor=avg_factor)
        return self.loss_weight * loss
