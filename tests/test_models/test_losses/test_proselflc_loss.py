"""ProSelfLC (Wang et al., CVPR 2021), hand-worked.

Two logits [0, ln 3] -> p = [0.25, 0.75]; -ln p = [1.386294, 0.287682].
Local trust: H(p) = 0.25 * 1.386294 + 0.75 * 0.287682 = 0.562335,
l(p) = 1 - H(p) / ln 2 = 1 - 0.811278 = 0.188722.
At t = Gamma / 2 (b = 0.5): g = h(0, B) = 0.5, so epsilon = 0.094361 and

    label 0: q~ = (1 - eps) [1, 0] + eps [0.25, 0.75] = [0.929229, 0.070771]
             L = 0.929229 * 1.386294 + 0.070771 * 0.287682 = 1.308545
    label 1: q~ = [0.023590, 0.976410]
             L = 0.023590 * 1.386294 + 0.976410 * 0.287682 = 0.313599

At t = 0: g = 1 / (1 + e^8) = 3.354e-4; at t = Gamma: g = 1 / (1 + e^-8) = 0.999665.
"""
import math

import pytest
import torch
import torch.nn.functional as F
from mmengine.config import ConfigDict

from mmdet.models.losses import CrossEntropyLoss
from mmdet.models.roi_heads.bbox_heads import Shared2FCBBoxHead
from plb_mm.models.losses import ProSelfLCLoss

from ..test_roi_heads.test_box_weighted_bbox_head import (DELTAS, LABELS, ROIS, SCORES, _head,
                                                          _sampling_results)

LOGITS = torch.tensor([[0., math.log(3.)], [0., math.log(3.)]])
LOG_P = torch.tensor([-1.386294, -0.287682])
LOCAL_TRUST = 0.188722


def _loss(t, total=100, **kw):
    loss = ProSelfLCLoss(**kw)
    loss.set_progress(t, total)
    return loss


def _expected(epsilon, label):
    """-sum q~ log p for the two-logit case above."""
    q = (1 - epsilon) * F.one_hot(torch.tensor(label), 2).float() \
        + epsilon * torch.tensor([0.25, 0.75])
    return -(q * LOG_P).sum()


def test_hand_worked_at_the_transition():
    out = _loss(50)(LOGITS, torch.tensor([0, 1]), reduction_override='none')
    torch.testing.assert_close(out, torch.tensor([1.308545, 0.313599]), rtol=0, atol=2e-6)
    assert _loss(50).global_trust() == 0.5


def test_start_and_end_of_training():
    labels = torch.tensor([0, 1])
    g0, g1 = 1 / (1 + math.exp(8)), 1 / (1 + math.exp(-8))
    assert _loss(0).global_trust() == pytest.approx(g0, rel=1e-12)
    assert _loss(100).global_trust() == pytest.approx(g1, rel=1e-12)
    start = _loss(0)(LOGITS, labels, reduction_override='none')
    end = _loss(100)(LOGITS, labels, reduction_override='none')
    for label in (0, 1):
        torch.testing.assert_close(start[label], _expected(g0 * LOCAL_TRUST, label), atol=2e-6,
                                   rtol=0)
        torch.testing.assert_close(end[label], _expected(g1 * LOCAL_TRUST, label), atol=2e-6,
                                   rtol=0)
    # at t = 0 almost cross entropy; at t = Gamma the label that contradicts the
    # prediction (0) costs less, the one that agrees (1) more
    ce = F.cross_entropy(LOGITS, labels, reduction='none')
    torch.testing.assert_close(start, ce, atol=2e-4, rtol=0)
    assert end[0] < start[0] and end[1] > start[1]


def test_zero_trust_is_cross_entropy_exactly():
    torch.manual_seed(0)
    scores, labels, weight = torch.randn(50, 4) * 3, torch.randint(0, 4, (50, )), torch.rand(50)
    # b = 1, t = 0, B = 1e4: g = 1 / (1 + e^1e4) = 0 in double precision
    ours = _loss(0, exp_base=1e4, transit_time_ratio=1.)
    assert ours.global_trust() == 0.
    for kw in (dict(), dict(weight=weight, avg_factor=31.), dict(reduction_override='none')):
        torch.testing.assert_close(ours(scores, labels, **kw), CrossEntropyLoss()(scores, labels,
                                                                                  **kw),
                                   rtol=0, atol=0)
    # a uniform prediction has no local trust: cross entropy at any t
    uniform = torch.zeros(3, 4)
    torch.testing.assert_close(_loss(100)(uniform, labels[:3]),
                               F.cross_entropy(uniform, labels[:3]))


def test_gradient_reaches_the_logits_only_through_the_prediction():
    """The corrected target is detached: the gradient is p - q~ (weighted),
    not the gradient of the target's own dependence on the logits."""
    scores = LOGITS.clone().requires_grad_(True)
    out = _loss(50)(scores, torch.tensor([0, 1]), weight=torch.tensor([2., 1.]), avg_factor=4.)
    out.backward()
    eps = 0.5 * LOCAL_TRUST
    q = torch.tensor([[1 - 0.75 * eps, 0.75 * eps], [0.25 * eps, 1 - 0.25 * eps]])
    p = torch.tensor([[0.25, 0.75], [0.25, 0.75]])
    expected = (p - q) * torch.tensor([[2.], [1.]]) / 4
    torch.testing.assert_close(scores.grad, expected, atol=1e-6, rtol=0)


def test_weight_and_empty():
    loss = _loss(50)
    out = loss(LOGITS, torch.tensor([0, 1]), weight=torch.tensor([0., 3.]),
               reduction_override='sum')
    torch.testing.assert_close(out, torch.tensor(3 * 0.313599), atol=1e-5, rtol=0)
    scores = torch.zeros(0, 2, requires_grad=True)
    out = loss(scores, torch.zeros(0, dtype=torch.long))
    assert out.item() == 0.
    out.backward()
    assert loss(scores, torch.zeros(0, dtype=torch.long), reduction_override='none').shape == (0, )


def test_without_progress_raises():
    loss = ProSelfLCLoss().train()
    with pytest.raises(RuntimeError, match=r"ProSelfLCLoss: the training progress is not set.*"
                                           r"ProSelfLCProgressHook"):
        loss(LOGITS, torch.tensor([0, 1]))


def test_bad_arguments():
    with pytest.raises(ValueError, match='exp_base must be >= 0'):
        ProSelfLCLoss(exp_base=-1)
    with pytest.raises(ValueError, match='transit_time_ratio must lie in'):
        ProSelfLCLoss(transit_time_ratio=2)
    with pytest.raises(ValueError, match='need 0 <= cur_iter <= max_iters'):
        ProSelfLCLoss().set_progress(11, 10)
    with pytest.raises(ValueError, match='at least two logits'):
        _loss(1)(torch.zeros(2, 1), torch.zeros(2, dtype=torch.long))


def test_as_loss_cls_of_the_stock_and_the_box_weighted_head():
    cfg = ConfigDict(pos_weight=-1)
    g = 1 / (1 + math.exp(-16 * (30 / 40 - 0.5)))  # t = 30 of 40

    def by_hand(i):
        logp = F.log_softmax(SCORES[i], 0)
        p = logp.exp()
        eps = g * (1 - (-(p * logp).sum()) / math.log(3))
        q = (1 - eps) * F.one_hot(torch.tensor(LABELS[i]), 3) + eps * p
        return -(q * logp).sum()

    for kw, w in [(dict(cls=Shared2FCBBoxHead), [1.] * 4),
                  (dict(loss_weighters=dict(cls=[dict(type='PLBWeighter')])),
                   [506 / 354, 506 / 654, 506 / 758, 506 / 258])]:  # PLB2C weights
        head = _head(loss_cls=dict(type='ProSelfLCLoss'), **kw)
        head.loss_cls.set_progress(30, 40)
        losses = head.loss_and_target(SCORES, DELTAS, ROIS, _sampling_results(), cfg)
        torch.testing.assert_close(losses['loss_bbox']['loss_cls'],
                                   sum(w[i] * by_hand(i) for i in range(4)) / 4)
