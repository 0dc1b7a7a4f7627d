import math
from typing import Optional

import torch
import torch.nn.functional as F
from torch import Tensor

from mmdet.registry import MODELS

from .soft_target_cross_entropy import SoftTargetCrossEntropyLoss


@MODELS.register_module()
class ProSelfLCLoss(SoftTargetCrossEntropyLoss):
    r"""Progressive self label correction (Wang, Hua, Kodirov, Clifton and
    Robertson, "ProSelfLC: Progressive Self Label Correction for Training
    Robust Deep Neural Networks", CVPR 2021), the ProSelfLC baseline of the
    BDE paper (Li et al. 2021, Tables 1-4).

    The target mixes the label with the model's own prediction, trusted more
    as training goes on and where the prediction is confident:

    .. math::
        \tilde q = (1 - \epsilon)\, q + \epsilon\, p, \qquad
        L = -\sum_k \tilde q_k \log p_k,

        \epsilon = g(t)\, l(p), \qquad
        g(t) = h(t / \Gamma - b, B), \qquad h(\eta, B) = \frac{1}{1 + e^{-\eta B}},

        l(p) = 1 - H(p) / H(u), \qquad H(p) = -\sum_k p_k \log p_k, \quad
        H(u) = \log K

    with ``q`` the one-hot label, ``p = softmax(cls_score)`` taken without
    gradient in the target (the corrected label is a label, not a path for
    gradient; the authors' released code does not detach it, see
    docs/bde_baselines.md), ``t``
    the current training iteration, ``Gamma`` the total number of iterations,
    ``b`` the transition point (0.5: ``g < 0.5`` for the first half of
    training, so the annotation dominates, ``g > 0.5`` after) and ``B`` the
    sharpness of the transition. ``K`` counts every logit, the background of
    mmdet's RoI head included (K = num_classes + 1; 2 for one class of cells),
    so ``l(p)`` is 0 for a uniform prediction and 1 for a one-hot one.
    ``g(t)`` is never exactly 0 (at ``t = 0`` it is ``1 / (1 + e^{bB})``,
    3.4e-4 with the defaults), so early in training ProSelfLC is close to,
    not equal to, cross entropy; at ``t = Gamma`` it is ``1 / (1 + e^{-(1-b)B})``
    (0.99966).

    The training progress is given, not looked up: ``set_progress(t, Gamma)``
    sets it, and ``ProSelfLCProgressHook`` (declared in ``custom_hooks``) calls
    it before every training iteration with ``t = runner.iter + 1`` (the
    1-based number of the iteration about to run, as in the authors' code) and
    ``Gamma = runner.max_iters``. A forward before any ``set_progress`` raises
    (it would otherwise train silently at one fixed trust).

    Args:
        exp_base (float): ``B`` >= 0. Defaults to 16. The ProSelfLC paper
            treats it as a hyper-parameter chosen per data set; the BDE paper
            does not report its setting.
        transit_time_ratio (float): ``b`` in [0, 1]. Defaults to 0.5 (the
            ProSelfLC paper).
        reduction (str): 'none', 'mean' or 'sum'. Defaults to 'mean'.
        loss_weight (float): multiplies the loss. Defaults to 1.0.

    Example (the RoI classification loss of Faster R-CNN)::

        model = dict(roi_head=dict(bbox_head=dict(loss_cls=dict(
            _delete_=True, type='ProSelfLCLoss', exp_base=16))))
        custom_hooks = [  # plb_mm's run hooks (default_runtime.py) and the progress
            dict(type='WeightsOnlyCheckpointHook'), dict(type='RunMetricsHook'),
            dict(type='DivergenceHook'), dict(type='ProSelfLCProgressHook')
        ]
    """

    def __init__(self, exp_base: float = 16., transit_time_ratio: float = 0.5,
                 reduction: str = 'mean', loss_weight: float = 1.0) -> None:
        super().__init__(reduction=reduction, loss_weight=loss_weight)
        if exp_base < 0:
            raise ValueError(f'ProSelfLCLoss: exp_base must be >= 0, got {exp_base}')
        if not 0. <= transit_time_ratio <= 1.:
            raise ValueError(f'ProSelfLCLoss: transit_time_ratio must lie in [0, 1], '
                             f'got {transit_time_ratio}')
        self.exp_base = exp_base
        self.transit_time_ratio = transit_time_ratio
        self.cur_iter: Optional[int] = None
        self.max_iters: Optional[int] = None

    def set_progress(self, cur_iter: int, max_iters: int) -> None:
        """Set the training progress ``t = cur_iter`` of ``Gamma = max_iters``
        (0 <= cur_iter <= max_iters)."""
        if not (max_iters > 0 and 0 <= cur_iter <= max_iters):
            raise ValueError(f'ProSelfLCLoss.set_progress: need 0 <= cur_iter <= max_iters and '
                             f'max_iters > 0, got cur_iter={cur_iter}, max_iters={max_iters}')
        self.cur_iter, self.max_iters = int(cur_iter), int(max_iters)

    def global_trust(self) -> float:
        """``g(t) = 1 / (1 + exp(-B (t / Gamma - b)))``."""
        if self.cur_iter is None:
            raise RuntimeError(
                'ProSelfLCLoss: the training progress is not set. Its trust schedule needs '
                'the current and the total number of iterations: add '
                "dict(type='ProSelfLCProgressHook') to the config's custom_hooks, or call "
                'set_progress(cur_iter, max_iters) on the loss before using it outside a runner.')
        x = (self.cur_iter / self.max_iters - self.transit_time_ratio) * self.exp_base
        if x >= 0:  # a logistic that does not overflow for large |x|
            return 1. / (1. + math.exp(-x))
        return math.exp(x) / (1. + math.exp(x))

    def soft_target(self, cls_score: Tensor, label: Tensor) -> Tensor:
        num_channels = cls_score.size(1)
        if num_channels < 2:
            raise ValueError('ProSelfLCLoss: needs at least two logits (H(uniform) = log K)')
        g = self.global_trust()
        with torch.no_grad():
            log_p = F.log_softmax(cls_score.float(), dim=-1)
            p = log_p.exp()
            entropy = -(p * log_p).sum(dim=-1)
            local_trust = (1. - entropy / math.log(num_channels)).clamp(0., 1.)
            epsilon = (g * local_trust)[:, None]
            one_hot = F.one_hot(label, num_channels).float()
            return (1. - epsilon) * one_hot + epsilon * p
