"""Asymmetric loss (Ridnik et al. 2021), hand-worked.

Logit 0 -> p = 0.5. Defaults gamma_pos = 1, gamma_neg = 4, clip = 0.05:

    positive: (1 - p)^1 * -log p      = 0.5 * ln 2                    = 0.346574
    negative: p_m = 0.5 - 0.05 = 0.45
              p_m^4 * -log(1 - p_m)   = 0.04100625 * 0.597837         = 0.024515

Gradients at logit 0 (dp/dx = p (1 - p) = 0.25):

    positive, L = -(1-p) log p:
        full      dL/dx = p (1-p) log p - (1-p)^2 = 0.25 ln 0.5 - 0.25 = -0.423287
        weight detached  -(1-p)^2                                      = -0.25
    negative, L = -p_m^4 log(1 - p_m):
        full      0.25 * (-4 p_m^3 log(1-p_m) + p_m^4 / (1-p_m))
                = 0.25 * (4 * 0.091125 * 0.597837 + 0.04100625 / 0.55)  = 0.073117
        weight detached  0.25 * 0.04100625 / 0.55                       = 0.018639
"""
import math

import pytest
import torch
import torch.nn.functional as F

from mmdet.registry import MODELS
from plb_mm.models.losses import AsymmetricLoss

POS = 0.5 * math.log(2.)  # 0.346574
NEG = 0.45**4 * -math.log(0.55)  # 0.024515


def _random(n=40, a=6, seed=0):
    g = torch.Generator().manual_seed(seed)
    pred = torch.randn(n, a, generator=g) * 3
    target = torch.randint(-1, 2, (n, a), generator=g)
    return pred, target


def test_hand_worked():
    loss = AsymmetricLoss()
    pred, target = torch.zeros(1, 2), torch.tensor([[1, 0]])
    out = loss(pred, target, reduction_override='none')
    torch.testing.assert_close(out, torch.tensor([[POS, NEG]]), rtol=0, atol=1e-6)
    # mean: sum over the 2 known entries / 2
    torch.testing.assert_close(loss(pred, target), torch.tensor((POS + NEG) / 2), rtol=0,
                               atol=1e-6)
    torch.testing.assert_close(loss(pred, target, reduction_override='sum'),
                               torch.tensor(POS + NEG), rtol=0, atol=1e-6)
    double = AsymmetricLoss(loss_weight=2.)
    torch.testing.assert_close(double(pred, target), torch.tensor(POS + NEG), rtol=0, atol=1e-6)
    # logit ln 3 -> p = 0.75: positive 0.25 * -ln 0.75 = 0.071921;
    # negative p_m = 0.70, 0.7^4 * -ln 0.3 = 0.2401 * 1.203973 = 0.289074
    pred = torch.full((1, 2), math.log(3.))
    torch.testing.assert_close(loss(pred, target, reduction_override='none'),
                               torch.tensor([[0.071921, 0.289074]]), rtol=0, atol=1e-6)


def test_clip():
    neg = torch.tensor([[0]])
    # clip 0.25 at p = 0.5: p_m = 0.25, 0.25^4 * -ln 0.75 = 0.00390625 * 0.287682 = 0.00112376
    out = AsymmetricLoss(clip=0.25)(torch.zeros(1, 1), neg)
    torch.testing.assert_close(out, torch.tensor(0.00112376), rtol=0, atol=1e-8)
    # clip 0: p_m = p = 0.5, 0.5^4 * ln 2 = 0.043322
    out = AsymmetricLoss(clip=0.)(torch.zeros(1, 1), neg)
    torch.testing.assert_close(out, torch.tensor(0.0625 * math.log(2.)), rtol=0, atol=1e-7)
    # p = clip exactly (logit 0, clip 0.5) and p < clip: exactly 0, and no gradient
    for gamma_neg in (4., 0.):
        pred = torch.tensor([[0., -1., -5.]], requires_grad=True)
        loss = AsymmetricLoss(clip=0.5, gamma_neg=gamma_neg)
        out = loss(pred, torch.zeros(1, 3), reduction_override='sum')
        assert out.item() == 0.
        out.backward()
        assert pred.grad.abs().sum().item() == 0.
    # just above the margin the negative counts again
    assert AsymmetricLoss(clip=0.5)(torch.tensor([[0.01]]), neg).item() > 0.


def test_unknown_entries_are_ignored():
    pred, target = _random()
    known = target != -1
    loss = AsymmetricLoss()
    # the known entries alone, as one column: same mean, same sum
    ref_pred, ref_target = pred[known][:, None], target[known][:, None]
    for reduction in ('mean', 'sum'):
        torch.testing.assert_close(loss(pred, target, reduction_override=reduction),
                                   loss(ref_pred, ref_target, reduction_override=reduction))
    # a whole column unknown is the same as dropping the column
    target[:, 2] = -1
    keep = [0, 1, 3, 4, 5]
    torch.testing.assert_close(loss(pred, target), loss(pred[:, keep], target[:, keep]))
    # 'none' is 0 there, and the logits there change nothing, not even extreme ones
    assert (loss(pred, target, reduction_override='none')[:, 2] == 0).all()
    moved = pred.clone()
    moved[:, 2] = 100.
    assert loss(moved, target).item() == loss(pred, target).item()
    pred.requires_grad_(True)
    loss(pred, target).backward()
    assert (pred.grad[target == -1] == 0).all()
    assert (pred.grad[target != -1] != 0).any()


def test_all_unknown_and_empty_are_zero_with_a_gradient():
    loss = AsymmetricLoss()
    for pred in (torch.randn(3, 6, requires_grad=True), torch.zeros(0, 6, requires_grad=True)):
        target = -torch.ones(pred.shape, dtype=torch.long)
        for reduction in ('mean', 'sum'):
            out = loss(pred, target, reduction_override=reduction)
            assert out.item() == 0. and not out.isnan()
            out.backward()
            assert pred.grad.shape == pred.shape and (pred.grad == 0).all()
        assert loss(pred, target, reduction_override='none').shape == pred.shape


def test_gammas_and_clip_zero_is_binary_cross_entropy():
    pred, target = _random(seed=1)
    target = target.clamp(min=0)  # BCE has no unknown entries
    weight = torch.rand(pred.shape)
    ours = AsymmetricLoss(gamma_neg=0., gamma_pos=0., clip=0.)
    for kw in (dict(), dict(reduction='sum'), dict(reduction='none'), dict(weight=weight)):
        reduction = kw.pop('reduction', 'mean')
        bce = F.binary_cross_entropy_with_logits(pred, target.float(), reduction=reduction, **kw)
        torch.testing.assert_close(ours(pred, target, reduction_override=reduction, **kw), bce)
    bce = F.binary_cross_entropy_with_logits(pred, target.float(), reduction='sum') / 7.
    torch.testing.assert_close(ours(pred, target, avg_factor=7.), bce)
    # and the gradient is p - y
    pred.requires_grad_(True)
    ours(pred, target, reduction_override='sum').backward()
    torch.testing.assert_close(pred.grad, pred.detach().sigmoid() - target)


def _ridnik(pred, target, gamma_neg=4., gamma_pos=1., clip=0.05):
    """Eq. 7 written as in Ridnik's reference: one-sided gamma, clipped 1 - p."""
    p = pred.sigmoid()
    p_neg = (1 - p + clip).clamp(max=1)
    loss = target * p.log() + (1 - target) * p_neg.log()
    pt = p * target + p_neg * (1 - target)
    return -(loss * (1 - pt).pow(gamma_pos * target + gamma_neg * (1 - target))).sum()


def test_matches_the_reference_formula_on_known_targets():
    pred, target = _random(seed=2)
    target = target.clamp(min=0).float()
    for kw in (dict(), dict(gamma_neg=2., gamma_pos=0., clip=0.1)):
        out = AsymmetricLoss(**kw)(pred, target, reduction_override='sum')
        torch.testing.assert_close(out, _ridnik(pred, target, **kw))


def test_gradients_hand_worked_and_signs():
    target = torch.tensor([[1, 0]])
    for disable, expected in ((False, [-0.423287, 0.073117]), (True, [-0.25, 0.018639])):
        pred = torch.zeros(1, 2, requires_grad=True)
        loss = AsymmetricLoss(disable_grad_focal=disable)
        out = loss(pred, target, reduction_override='sum')
        torch.testing.assert_close(out, torch.tensor(POS + NEG), rtol=0, atol=1e-6)
        out.backward()
        torch.testing.assert_close(pred.grad, torch.tensor([expected]), rtol=0, atol=1e-6)
    # random logits: positives pushed up, negatives above the margin pushed down,
    # negatives at or under it and unknowns left alone
    pred, target = _random(seed=3)
    pred.requires_grad_(True)
    AsymmetricLoss()(pred, target).backward()
    p = pred.detach().sigmoid()
    assert (pred.grad[target == 1] < 0).all()
    assert (pred.grad[(target == 0) & (p > 0.05)] > 0).all()
    assert (pred.grad[(target == 0) & (p <= 0.05)] == 0).all()
    assert (pred.grad[target == -1] == 0).all()


def test_weight_and_avg_factor():
    loss = AsymmetricLoss()
    pred, target = torch.zeros(2, 2), torch.tensor([[1, 0], [1, -1]])
    # known entries: POS, NEG, POS (3 of them)
    torch.testing.assert_close(loss(pred, target), torch.tensor((2 * POS + NEG) / 3), rtol=0,
                               atol=1e-6)
    # per-entry weight; the mean still divides by the 3 known entries
    weight = torch.tensor([[2., 0.], [1., 5.]])
    torch.testing.assert_close(loss(pred, target, weight=weight), torch.tensor(3 * POS / 3),
                               rtol=0, atol=1e-6)
    torch.testing.assert_close(loss(pred, target, weight=weight, reduction_override='sum'),
                               torch.tensor(3 * POS), rtol=0, atol=1e-6)
    # per-row weight (n, ): row 0 counts 0.5, row 1 counts 3
    out = loss(pred, target, weight=torch.tensor([0.5, 3.]), reduction_override='none')
    torch.testing.assert_close(out, torch.tensor([[0.5 * POS, 0.5 * NEG], [3 * POS, 0.]]),
                               rtol=0, atol=1e-6)
    # avg_factor replaces the count
    torch.testing.assert_close(loss(pred, target, avg_factor=4.),
                               torch.tensor((2 * POS + NEG) / 4), rtol=0, atol=1e-6)
    assert loss(pred, target, weight=torch.zeros(2)).item() == 0.
    with pytest.raises(ValueError, match='avg_factor can not be used with reduction="sum"'):
        loss(pred, target, avg_factor=4., reduction_override='sum')


def test_bad_arguments():
    with pytest.raises(ValueError, match='clip must lie in'):
        AsymmetricLoss(clip=1.)
    with pytest.raises(ValueError, match='must be >= 0'):
        AsymmetricLoss(gamma_neg=-1.)
    with pytest.raises(ValueError, match='reduction must be'):
        AsymmetricLoss(reduction='avg')
    loss = AsymmetricLoss()
    with pytest.raises(ValueError, match=r'target values must be 1, 0 or -1'):
        loss(torch.zeros(1, 2), torch.tensor([[1, 2]]))
    with pytest.raises(ValueError, match=r'expected pred and target of the same shape'):
        loss(torch.zeros(1, 2), torch.tensor([[1, 0, 1]]))
    with pytest.raises(ValueError, match=r'weight must be \(n, A\) or \(n, \)'):
        loss(torch.zeros(1, 2), torch.tensor([[1, 0]]), weight=torch.ones(2, 2))


def test_registered_with_the_spec_defaults():
    loss = MODELS.build(dict(type='AsymmetricLoss'))
    assert isinstance(loss, AsymmetricLoss)
    assert (loss.gamma_neg, loss.gamma_pos, loss.clip, loss.eps) == (4., 1., 0.05, 1e-8)
    assert (loss.disable_grad_focal, loss.reduction, loss.loss_weight) == (False, 'mean', 1.)
