"""PLB2C / PLB2B through the RoI box head on a hand-built case.

Two images, one GT each, two sampled RoIs each (positive first):

    roi  image  box              area+1  label  matched GT
    r0   0      [0,0,10,10]       101    0      g0 = [0,0,10,10]   (area+1 101)
    r1   0      [20,20,40,40]     401    bg
    r2   1      [1,1,19,29]       505    1      g1 = [0,0,20,30]   (area+1 601)
    r3   1      [50,50,52,52]       5    bg

Both losses are normalised by the 4 sampled RoIs, with or without PLB.
"""
import math

import pytest
import torch
from mmengine.config import ConfigDict

from mmdet.models.roi_heads.bbox_heads import Shared2FCBBoxHead
from mmdet.models.task_modules.assigners import AssignResult
from mmdet.models.task_modules.samplers import SamplingResult
from plb_mm.models import BoxWeightedShared2FCBBoxHead

ROIS = torch.tensor([[0, 0, 0, 10, 10], [0, 20, 20, 40, 40], [1, 1, 1, 19, 29],
                     [1, 50, 50, 52, 52]], dtype=torch.float32)
GTS = [torch.tensor([[0., 0., 10., 10.]]), torch.tensor([[0., 0., 20., 30.]])]
GT_LABELS = [torch.tensor([0]), torch.tensor([1])]
LABELS = [0, 2, 1, 2]
SCORES = torch.tensor([[1.0, -0.5, 0.2], [0.3, 0.1, 2.0], [-1.0, 0.5, 0.0], [0.0, 0.0, 0.0]])
# Regression output (2 classes x 4): r0 predicts dx = 0.2 for its class 0.
DELTAS = torch.zeros(4, 8)
DELTAS[0, 0] = 0.2
# r2's target for class 1: dw = log(20/18)/0.2, dh = log(30/28)/0.2 (centres agree).
L1_R2 = (math.log(20 / 18) + math.log(30 / 28)) / 0.2


def _sampling_results():
    out = []
    for img in range(2):
        priors = ROIS[ROIS[:, 0] == img, 1:]
        assign = AssignResult(num_gts=1, gt_inds=torch.tensor([1, 0]),
                              max_overlaps=torch.tensor([0.9, 0.0]),
                              labels=torch.tensor([GT_LABELS[img].item(), -1]))
        out.append(SamplingResult(pos_inds=torch.tensor([0]), neg_inds=torch.tensor([1]),
                                  priors=priors, gt_bboxes=GTS[img], assign_result=assign,
                                  gt_flags=torch.zeros(2, dtype=torch.uint8)))
    return out


def _head(cls=BoxWeightedShared2FCBBoxHead, **kw):
    return cls(in_channels=1, fc_out_channels=4, roi_feat_size=1, num_classes=2,
               bbox_coder=dict(type='DeltaXYWHBBoxCoder', target_means=[0., 0., 0., 0.],
                               target_stds=[0.1, 0.1, 0.2, 0.2]),
               loss_bbox=dict(type='L1Loss', loss_weight=1.0), **kw)


def _losses(head):
    cfg = ConfigDict(pos_weight=-1)
    return head.loss_and_target(SCORES, DELTAS, ROIS, _sampling_results(), cfg)['loss_bbox']


def _ce(i):
    return torch.logsumexp(SCORES[i], 0) - SCORES[i, LABELS[i]]


def test_stock_values_by_hand():
    losses = _losses(_head())
    torch.testing.assert_close(losses['loss_cls'], sum(_ce(i) for i in range(4)) / 4)
    torch.testing.assert_close(losses['loss_bbox'], torch.tensor((0.2 + L1_R2) / 4))


def test_plb2c_by_hand():
    losses = _losses(_head(loss_weighters=dict(cls=[dict(type='PLBWeighter')])))
    # a = 101, 401, 505, 5: m = 253, w = 506 / (253 + a)
    w = [506 / 354, 506 / 654, 506 / 758, 506 / 258]
    torch.testing.assert_close(losses['loss_cls'], sum(w[i] * _ce(i) for i in range(4)) / 4)
    torch.testing.assert_close(losses['loss_bbox'], torch.tensor((0.2 + L1_R2) / 4))


def test_plb2b_by_hand():
    losses = _losses(_head(loss_weighters=dict(reg=[dict(type='PLBWeighter')])))
    # positives r0, r2: a = 101, 505, m = 303: w = 606/404 = 1.5 and 606/808 = 0.75;
    # still divided by all 4 sampled RoIs.
    torch.testing.assert_close(losses['loss_bbox'], torch.tensor((1.5 * 0.2 + 0.75 * L1_R2) / 4))
    torch.testing.assert_close(losses['loss_cls'], sum(_ce(i) for i in range(4)) / 4)


def test_plb2c_gt_source_by_hand():
    head = _head(loss_weighters=dict(cls=[dict(type='PLBWeighter', box_source='gt')]))
    losses = _losses(head)
    # positives take their GT areas (101, 601), negatives their RoIs (401, 5):
    # m = 277, w = 554 / (277 + a)
    w = [554 / 378, 554 / 678, 554 / 878, 554 / 282]
    torch.testing.assert_close(losses['loss_cls'], sum(w[i] * _ce(i) for i in range(4)) / 4)


def test_plb2c_image_scope_by_hand():
    head = _head(loss_weighters=dict(cls=[dict(type='PLBWeighter', mean_scope='image')]))
    losses = _losses(head)
    # image 0: a = 101, 401 (m 251); image 1: a = 505, 5 (m 255)
    w = [502 / 352, 502 / 652, 510 / 760, 510 / 260]
    torch.testing.assert_close(losses['loss_cls'], sum(w[i] * _ce(i) for i in range(4)) / 4)


class _Ones:
    """A weighter that weights every box 1: the weighting path, no effect."""
    positives_only = False

    def __call__(self, boxes):
        return boxes.pred_boxes.new_ones(len(boxes))


@pytest.mark.parametrize('weighters', [None, dict(cls=[_Ones()], reg=[_Ones()])],
                         ids=['no weighters', 'all-ones weighters'])
def test_equals_stock(weighters):
    torch.manual_seed(0)
    scores, deltas = torch.randn(4, 3), torch.randn(4, 8)
    cfg = ConfigDict(pos_weight=-1)
    a = _head(cls=Shared2FCBBoxHead).loss_and_target(scores, deltas, ROIS, _sampling_results(), cfg)
    b = _head(loss_weighters=weighters).loss_and_target(scores, deltas, ROIS,
                                                         _sampling_results(), cfg)
    for k in ('loss_cls', 'loss_bbox', 'acc'):
        torch.testing.assert_close(a['loss_bbox'][k], b['loss_bbox'][k], rtol=0, atol=0)


def test_weights_carry_no_gradient():
    """PLB2C/PLB2B weights come from the RoIs: with RoIs that require grad
    (proposals of a trainable first stage), neither loss reaches them through
    the weights, and the gradient of the scored outputs is the weighted
    stock gradient with constant weights."""
    cfg = ConfigDict(pos_weight=-1)
    head = _head(loss_weighters=dict(cls=[dict(type='PLBWeighter')],
                                     reg=[dict(type='PLBWeighter')]))
    for term in ('loss_cls', 'loss_bbox'):
        rois = ROIS.clone().requires_grad_(True)
        s, d = SCORES.clone().requires_grad_(True), DELTAS.clone().requires_grad_(True)
        head.loss_and_target(s, d, rois, _sampling_results(), cfg)['loss_bbox'][term].backward()
        assert rois.grad is None or not rois.grad.any()
        if term == 'loss_cls':
            # RoI 0: w = 506 / 354 (PLB2C above)
            expected = 506 / 354 * (torch.softmax(SCORES[0], 0) - torch.tensor([1., 0., 0.])) / 4
            torch.testing.assert_close(s.grad[0], expected)
            assert d.grad is None or not d.grad.any()
        else:
            # RoI 0 (class 0, w = 1.5 in PLB2B above): d|dx - 0| / d dx = 1, others 0
            expected = torch.zeros(8)
            expected[0] = 1.5 / 4
            torch.testing.assert_close(d.grad[0], expected)
            assert s.grad is None or not s.grad.any()


def test_bde_by_hand():
    # Two RoIs per image: centres (5,5)/(30,30) and (10,15)/(51,51). With two
    # boxes density = D/2 and max = D, so each energy is 1/2; the negatives
    # r1 and r3 get 1/2, the positives keep 1. Regression: positives only, unchanged.
    losses = _losses(_head(loss_weighters=dict(cls=[dict(type='BDEWeighter')],
                                               reg=[dict(type='BDEWeighter')])))
    w = [1, 0.5, 1, 0.5]
    torch.testing.assert_close(losses['loss_cls'], sum(w[i] * _ce(i) for i in range(4)) / 4)
    torch.testing.assert_close(losses['loss_bbox'], torch.tensor((0.2 + L1_R2) / 4))


def test_plb2c_and_bde_compose_by_product():
    head = _head(loss_weighters=dict(cls=[dict(type='PLBWeighter'), dict(type='BDEWeighter')]))
    losses = _losses(head)
    w = [506 / 354, 0.5 * 506 / 654, 506 / 758, 0.5 * 506 / 258]  # PLB2C (above) x BDE
    torch.testing.assert_close(losses['loss_cls'], sum(w[i] * _ce(i) for i in range(4)) / 4)
