"""Label smoothing (Mueller et al. 2019), hand-worked.

Two logits [0, ln 3] -> p = softmax = [0.25, 0.75]; -ln p = [ln 4, ln 4/3]
= [1.386294, 0.287682]. With epsilon = 0.1 over K = 2 channels (background
counted) the targets are 0.9 one-hot + 0.05:

    label 1: q = [0.05, 0.95]  L = 0.05 * 1.386294 + 0.95 * 0.287682 = 0.342613
    label 0: q = [0.95, 0.05]  L = 0.95 * 1.386294 + 0.05 * 0.287682 = 1.331364
"""
import math

import pytest
import torch
import torch.nn.functional as F
from mmengine.config import ConfigDict

from mmdet.models.losses import CrossEntropyLoss
from mmdet.models.roi_heads.bbox_heads import Shared2FCBBoxHead
from mmdet.registry import MODELS
from plb_mm.models.losses import LabelSmoothingCrossEntropyLoss

from ..test_roi_heads.test_box_weighted_bbox_head import (DELTAS, LABELS, ROIS, SCORES, _head,
                                                          _sampling_results)

LOGITS = torch.tensor([[0., math.log(3.)], [0., math.log(3.)]])


def test_hand_worked():
    loss = LabelSmoothingCrossEntropyLoss(epsilon=0.1)
    out = loss(LOGITS, torch.tensor([1, 0]), reduction_override='none')
    torch.testing.assert_close(out, torch.tensor([0.342613, 1.331364]), rtol=0, atol=1e-6)
    # mean over the two samples, and loss_weight
    torch.testing.assert_close(loss(LOGITS, torch.tensor([1, 0])), out.mean())
    double = LabelSmoothingCrossEntropyLoss(epsilon=0.1, loss_weight=2.)
    torch.testing.assert_close(double(LOGITS, torch.tensor([1, 0])), 2 * out.mean())


def test_epsilon_zero_is_cross_entropy_exactly():
    torch.manual_seed(0)
    scores, labels = torch.randn(50, 4) * 3, torch.randint(0, 4, (50, ))
    weight = torch.rand(50)
    ours = LabelSmoothingCrossEntropyLoss(epsilon=0.)
    stock = CrossEntropyLoss()
    for kw in (dict(), dict(weight=weight, avg_factor=31.), dict(reduction_override='none')):
        torch.testing.assert_close(ours(scores, labels, **kw), stock(scores, labels, **kw),
                                   rtol=0, atol=0)


def test_uniform_part_counts_every_channel():
    # epsilon = 1: the target is uniform over all K = 3 channels whatever the label
    scores = torch.tensor([[2., -1., 0.5]])
    out = LabelSmoothingCrossEntropyLoss(epsilon=1.)(scores, torch.tensor([0]))
    torch.testing.assert_close(out, -F.log_softmax(scores, -1).mean())


def test_weight_and_avg_factor():
    loss = LabelSmoothingCrossEntropyLoss(epsilon=0.1)
    labels = torch.tensor([1, 0])
    # weight 2 on the first sample, 0 on the second, normalised by avg_factor 4
    out = loss(LOGITS, labels, weight=torch.tensor([2., 0.]), avg_factor=4.)
    torch.testing.assert_close(out, torch.tensor(2 * 0.342613 / 4), rtol=0, atol=1e-6)
    assert loss(LOGITS, labels, weight=torch.zeros(2)).item() == 0.
    out = loss(LOGITS, labels, weight=torch.tensor([2., 0.]), reduction_override='sum')
    torch.testing.assert_close(out, torch.tensor(2 * 0.342613), rtol=0, atol=1e-6)


def test_empty():
    scores = torch.zeros(0, 3, requires_grad=True)
    loss = LabelSmoothingCrossEntropyLoss()
    out = loss(scores, torch.zeros(0, dtype=torch.long))
    assert out.item() == 0.
    out.backward()
    assert scores.grad.shape == (0, 3)
    assert loss(scores, torch.zeros(0, dtype=torch.long), reduction_override='none').shape == (0, )
    assert loss(scores, torch.zeros(0, dtype=torch.long), avg_factor=1.).item() == 0.


def test_gradient_is_p_minus_smoothed_target():
    # d/dz of -sum q log softmax(z) with a constant q is p - q
    scores = LOGITS[:1].clone().requires_grad_(True)
    LabelSmoothingCrossEntropyLoss(epsilon=0.1)(scores, torch.tensor([1]),
                                               reduction_override='sum').backward()
    torch.testing.assert_close(scores.grad, torch.tensor([[0.25 - 0.05, 0.75 - 0.95]]))


def test_bad_arguments():
    with pytest.raises(ValueError, match='epsilon must lie in'):
        LabelSmoothingCrossEntropyLoss(epsilon=1.5)
    with pytest.raises(ValueError, match=r'labels must lie in \[0, 2\)'):
        LabelSmoothingCrossEntropyLoss()(LOGITS, torch.tensor([0, 2]))
    with pytest.raises(ValueError, match=r'expected cls_score \(N, C\) and label \(N, \)'):
        LabelSmoothingCrossEntropyLoss()(LOGITS, torch.tensor([0]))


def _smoothed(i, epsilon=0.1):
    logp = F.log_softmax(SCORES[i], 0)
    return -(1 - epsilon) * logp[LABELS[i]] - epsilon * logp.mean()


def test_as_loss_cls_of_the_stock_and_the_box_weighted_head():
    """mmdet's Shared2FCBBoxHead keeps num_classes + 1 softmax logits and its
    accuracy; with PLB2C the per-box weights multiply the smoothed loss."""
    cfg = ConfigDict(pos_weight=-1)
    loss_cls = dict(type='LabelSmoothingCrossEntropyLoss', epsilon=0.1)
    head = _head(cls=Shared2FCBBoxHead, loss_cls=loss_cls)
    assert head.fc_cls.out_features == 3 and not head.custom_cls_channels
    losses = head.loss_and_target(SCORES, DELTAS, ROIS, _sampling_results(), cfg)['loss_bbox']
    torch.testing.assert_close(losses['loss_cls'], sum(_smoothed(i) for i in range(4)) / 4)
    assert 'acc' in losses
    head = _head(loss_cls=loss_cls, loss_weighters=dict(cls=[dict(type='PLBWeighter')]))
    losses = head.loss_and_target(SCORES, DELTAS, ROIS, _sampling_results(), cfg)['loss_bbox']
    w = [506 / 354, 506 / 654, 506 / 758, 506 / 258]  # PLB2C, test_box_weighted_bbox_head
    torch.testing.assert_close(losses['loss_cls'],
                               sum(w[i] * _smoothed(i) for i in range(4)) / 4)


def test_registered():
    assert isinstance(MODELS.build(dict(type='LabelSmoothingCrossEntropyLoss')),
                      LabelSmoothingCrossEntropyLoss)
