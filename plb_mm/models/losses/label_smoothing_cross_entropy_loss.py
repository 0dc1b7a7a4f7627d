import torch.nn.functional as F
from torch import Tensor

from mmdet.registry import MODELS

from .soft_target_cross_entropy import SoftTargetCrossEntropyLoss


@MODELS.register_module()
class LabelSmoothingCrossEntropyLoss(SoftTargetCrossEntropyLoss):
    r"""Softmax cross entropy with label smoothing (Szegedy et al. 2016;
    Mueller, Kornblith and Hinton, "When does label smoothing help?",
    NeurIPS 2019, their Sec. 1), the LS baseline of the BDE paper
    (Li et al. 2021, Tables 1-4).

    .. math::
        y^{LS}_k = (1 - \epsilon)\, y_k + \epsilon / K, \qquad
        L = -\sum_k y^{LS}_k \log p_k

    with ``y`` the one-hot label and ``p = softmax(cls_score)``.

    K counts every logit of the classifier, the background included: mmdet's
    RoI head scores num_classes + 1 channels (background last) and the softmax
    runs over all of them, so the smoothed mass ``epsilon`` is spread
    uniformly over the K = num_classes + 1 outcomes the model actually
    predicts; with one foreground class (cells) K = 2 and a background RoI
    gets the target (eps/2, 1 - eps/2). ``epsilon = 0`` is
    ``CrossEntropyLoss`` exactly.

    Args:
        epsilon (float): smoothing in [0, 1]. Defaults to 0.1 (Mueller et al.
            and Szegedy et al. use 0.1).
        reduction (str): 'none', 'mean' or 'sum'. Defaults to 'mean'.
        loss_weight (float): multiplies the loss. Defaults to 1.0.

    Example (the RoI classification loss of Faster R-CNN)::

        model = dict(roi_head=dict(bbox_head=dict(loss_cls=dict(
            _delete_=True, type='LabelSmoothingCrossEntropyLoss', epsilon=0.1))))
    """

    def __init__(self, epsilon: float = 0.1, reduction: str = 'mean',
                 loss_weight: float = 1.0) -> None:
        super().__init__(reduction=reduction, loss_weight=loss_weight)
        if not 0. <= epsilon <= 1.:
            raise ValueError(f'LabelSmoothingCrossEntropyLoss: epsilon must lie in [0, 1], '
                             f'got {epsilon}')
        self.epsilon = epsilon

    def soft_target(self, cls_score: Tensor, label: Tensor) -> Tensor:
        num_channels = cls_score.size(1)
        one_hot = F.one_hot(label, num_channels).float()
        return (1. - self.epsilon) * one_hot + self.epsilon / num_channels
