"""DC loss, IAC score feeding, exact GT boxes and stock equality through the
RetinaNet and ATSS heads.

Same layout as the RPN test: image 32x32, a 2x2 map at stride 16, anchors of
side 16 and 32 per location (index = 2 * location + size). GT1 (class 0) =
[6,8,26,24], GT2 (class 1) = [0,2,32,30] (neither is an anchor). With
RetinaNet's assigner (pos 0.5, neg 0.4): anchor 6 ([8,8,24,24], IoU 0.8 with
GT1) and anchor 7 ([0,0,32,32], IoU 0.875 with GT2) are the positives; every
other anchor has IoU < 0.4 with both (anchors 3 and 5: 0.304 with GT2).
"""
import math

import pytest
import torch
from mmengine.config import ConfigDict
from mmengine.structures import InstanceData

from mmdet.models.dense_heads import ATSSHead, RetinaHead
from mmdet.models.losses import FocalLoss
from mmdet.models.task_modules.prior_generators import anchor_inside_flags
from plb_mm.models import BoxWeightedATSSHead, BoxWeightedRetinaHead, IoUClsAwareAssigner

GEN = dict(type='AnchorGenerator', strides=[16], ratios=[1.0], scales=[1, 2])
CODER = dict(type='DeltaXYWHBBoxCoder', target_means=[0.] * 4, target_stds=[1.] * 4)
GTS = [InstanceData(bboxes=torch.tensor([[6., 8., 26., 24.], [0., 2., 32., 30.]]),
                    labels=torch.tensor([0, 1]))]
METAS = [dict(img_shape=(32, 32), pad_shape=(32, 32))]
DELTAS = torch.zeros(8, 4)
DELTAS[6] = torch.tensor([0.1, -0.2, 0.0, 0.0])   # [9.6, 4.8, 25.6, 20.8]
DELTAS[7] = torch.tensor([0.05, 0.0, 0.0, 0.0])   # [1.6, 0, 33.6, 32] -> clipped [1.6, 0, 32, 32]
torch.manual_seed(0)
LOGITS = torch.randn(8, 2)


def _sig(x):
    return 1 / (1 + math.exp(-x))


def _retina(cls=BoxWeightedRetinaHead, assigner=None, allowed_border=-1, gen=GEN, **kw):
    train_cfg = ConfigDict(
        assigner=assigner or dict(type='MaxIoUAssigner', pos_iou_thr=0.5, neg_iou_thr=0.4,
                                  min_pos_iou=0, ignore_iof_thr=-1),
        sampler=dict(type='PseudoSampler'), allowed_border=allowed_border, pos_weight=-1,
        debug=False)
    return cls(num_classes=2, in_channels=1, feat_channels=1, stacked_convs=0,
               anchor_generator=gen, bbox_coder=CODER, train_cfg=train_cfg,
               loss_cls=dict(type='FocalLoss', use_sigmoid=True, gamma=2.0, alpha=0.25,
                             loss_weight=1.0), **kw)


def _outs(logits=LOGITS, deltas=DELTAS):
    cls = logits.reshape(2, 2, 4).permute(2, 0, 1)[None].clone().requires_grad_(True)  # (1, A*C, H, W)
    reg = deltas.reshape(2, 2, 8).permute(2, 0, 1)[None].clone()
    return cls, reg


def _flat_grad(cls):
    return cls.grad.permute(0, 2, 3, 1).reshape(-1, 2)


def test_dc_keeps_the_loss_and_rescales_positive_gradients_by_hand():
    # anchor 6: prediction centre (17.6, 12.8), 16x16; GT1 centre (16, 16), 20x16:
    #   d^2 = (1.6/20)^2 + (3.2/16)^2 = 0.0464, |w/h - w^/h^| = |1.25 - 1| = 0.25
    # anchor 7: prediction clipped to the image, [1.6, 0, 32, 32]: centre
    #   (16.8, 16), 30.4x32; GT2 centre (16, 16), 32x28:
    #   d^2 = (0.8/32)^2 = 0.000625, |8/7 - 0.95|
    lam = torch.tensor([1 / (_sig(0.0464) + math.tanh(0.25)),
                        1 / (_sig(0.000625) + math.tanh(8 / 7 - 0.95))])
    pos_logits = LOGITS[[6, 7]]
    L = FocalLoss(reduction='none')(pos_logits, torch.tensor([0, 1])).sum(-1)
    lam_n = lam * L.sum() / (lam * L).sum()

    grads, losses = [], []
    for head in (_retina(), _retina(loss_weighters=dict(cls=[dict(type='DCWeighter')]))):
        cls, reg = _outs()
        out = head.loss_by_feat([cls], [reg], GTS, METAS)
        out['loss_cls'][0].backward()
        losses.append(out)
        grads.append(_flat_grad(cls))
    # the positives' summed classification loss is unchanged, so is the term
    torch.testing.assert_close(losses[1]['loss_cls'][0], losses[0]['loss_cls'][0])
    torch.testing.assert_close(losses[1]['loss_bbox'][0], losses[0]['loss_bbox'][0])
    # positives' gradients scaled by lambda', negatives' untouched
    torch.testing.assert_close(grads[1][[6, 7]], grads[0][[6, 7]] * lam_n[:, None])
    neg = [0, 1, 2, 3, 4, 5]
    torch.testing.assert_close(grads[1][neg], grads[0][neg], rtol=0, atol=0)
    assert not torch.allclose(lam_n, torch.ones(2))


class _Ones:
    """A weighter that weights every box 1: the weighting path, no effect."""
    positives_only = False

    def __call__(self, boxes):
        return boxes.pred_boxes.new_ones(len(boxes))


class _Recorder:
    positives_only = False

    def __init__(self):
        self.seen = []

    def __call__(self, boxes):
        self.seen.append(boxes)
        return boxes.pred_boxes.new_ones(len(boxes))


@pytest.mark.parametrize('weighters', [None, dict(cls=[_Ones()], reg=[_Ones()])],
                         ids=['no weighters', 'all-ones weighters'])
def test_equals_stock_retina_head(weighters):
    """Two levels, two images (one without GT): identical losses."""
    gen = dict(type='AnchorGenerator', strides=[8, 16], ratios=[0.5, 1.0, 2.0], scales=[2])
    a, b = _retina(cls=RetinaHead, gen=gen), _retina(gen=gen, loss_weighters=weighters)
    torch.manual_seed(0)
    cls = [torch.randn(2, 6, s, s) for s in (4, 2)]
    reg = [torch.randn(2, 12, s, s) * 0.2 for s in (4, 2)]
    gts = [GTS[0], InstanceData(bboxes=torch.zeros(0, 4), labels=torch.zeros(0, dtype=torch.long))]
    la = a.loss_by_feat(cls, reg, gts, METAS * 2)
    lb = b.loss_by_feat(cls, reg, gts, METAS * 2)
    assert set(la) == set(lb) == {'loss_cls', 'loss_bbox'}
    for k in la:
        for x, y in zip(la[k], lb[k]):
            torch.testing.assert_close(x, y, rtol=0, atol=0)


def test_iac_that_adds_nothing_equals_stock_retina_head():
    """With probabilities too low to promote anything, the score-aware path
    (scores handed to the assigner) gives MaxIoU's targets: the stock losses."""
    a = _retina(cls=RetinaHead)
    b = _retina(assigner=dict(type='IoUClsAwareAssigner'))
    cls, reg = _outs(logits=torch.full((8, 2), -6.0))
    la, lb = a.loss_by_feat([cls], [reg], GTS, METAS), b.loss_by_feat([cls], [reg], GTS, METAS)
    for k in la:
        torch.testing.assert_close(la[k][0], lb[k][0], rtol=0, atol=0)


def test_gt_box_is_the_matched_gt_not_its_clipped_regression_target():
    """A 0.1 x 24 GT is matched (low-quality) to anchor 6 (16x16). Its
    regression target has dw = log(0.1 / 16) = -5.07, beyond the coder's
    wh_ratio_clip (|log 0.016| = 4.14): decoding the target back would give
    a 0.256 px wide box. The weighters get the GT itself."""
    thin = [InstanceData(bboxes=torch.tensor([[10., 4., 10.1, 28.]]), labels=torch.tensor([0]))]
    rec = _Recorder()
    head = _retina(loss_weighters=dict(reg=[rec]))
    cls, reg = _outs()
    head.loss_by_feat([cls], [reg], thin, METAS)
    boxes = rec.seen[0]
    assert boxes.is_pos.tolist() == [True]
    assert torch.equal(boxes.gt_boxes, thin[0].bboxes)
    # what rebuilding it from the regression target would give instead
    anchor6 = torch.tensor([[8., 8., 24., 24.]])
    rebuilt = head.bbox_coder.decode(anchor6, head.bbox_coder.encode(anchor6, thin[0].bboxes))
    torch.testing.assert_close(rebuilt[0, 2] - rebuilt[0, 0], torch.tensor(16 * 0.016))


def test_iac_assigner_gets_the_heads_probabilities_per_image_and_level(monkeypatch):
    """Two levels (strides 8 and 16), two images of different sizes, and
    ``allowed_border=0``: anchors crossing the border are not inside the
    image and are not assigned. The assigner sees, per image, the sigmoid of
    the head's logits of the inside anchors, in the order of its priors."""
    seen = []
    orig = IoUClsAwareAssigner.assign

    def spy(self, pred_instances, *args, **kw):
        seen.append((pred_instances.priors.clone(), pred_instances.get('scores')))
        return orig(self, pred_instances, *args, **kw)

    monkeypatch.setattr(IoUClsAwareAssigner, 'assign', spy)
    gen = dict(type='AnchorGenerator', strides=[8, 16], ratios=[0.5, 1.0], scales=[2],
               center_offset=0.5)
    head = _retina(assigner=dict(type='IoUClsAwareAssigner'), allowed_border=0, gen=gen)
    torch.manual_seed(1)
    cls = [torch.randn(2, 4, s, s) for s in (4, 2)]
    reg = [torch.zeros(2, 8, s, s) for s in (4, 2)]
    metas = [dict(img_shape=(32, 32), pad_shape=(32, 32)),
             dict(img_shape=(20, 28), pad_shape=(32, 32))]
    gts = [GTS[0],
           InstanceData(bboxes=torch.tensor([[2., 2., 14., 12.]]), labels=torch.tensor([1]))]
    head.loss_by_feat(cls, reg, gts, metas)
    assert len(seen) == 2
    anchors, valid = head.get_anchors([(4, 4), (2, 2)], metas, device='cpu')
    for i, (priors, scores) in enumerate(seen):
        flat_anchors, flat_valid = torch.cat(anchors[i]), torch.cat(valid[i])
        inside = anchor_inside_flags(flat_anchors, flat_valid, metas[i]['img_shape'], 0)
        assert 0 < inside.sum() < len(inside)           # some anchors are outside
        flat_logits = torch.cat([c[i].permute(1, 2, 0).reshape(-1, 2) for c in cls])
        assert torch.equal(priors, flat_anchors[inside])
        torch.testing.assert_close(scores, flat_logits[inside].sigmoid(), rtol=0, atol=0)
        assert not scores.requires_grad


def test_iac_recovers_a_contained_anchor_through_the_head():
    # Anchor 3 ([0,-16,32,16]) has IoU 0.304 with GT2 (class 1, its max-IoU
    # GT) and 0.135 with GT1 (class 0); MaxIoU makes it negative. It holds
    # half of GT2 (inter [0,2,32,16] = 448, min area 896). With probability
    # 0.99 for class 1 its score is 0.75 * 0.99 + 0.25 * 0.5 = 0.87 >= 0.5:
    # positive, for GT2. A confident class 0 there does not count: GT1 is not
    # its max-IoU GT (0.75 * 0.018 + 0.125 < 0.5), even though for GT1 the
    # score would also be 0.87 (inter [6,8,26,16] = 160 of GT1's 320).
    # Every other anchor predicts probability 0.018.
    sure = math.log(0.99 / 0.01)
    cases = {'none': None, 'class 0': 0, 'class 1': 1}
    out = {}
    for name, c in cases.items():
        logits = torch.full((8, 2), -4.0)
        if c is not None:
            logits[3, c] = sure
        for assigner in (None, dict(type='IoUClsAwareAssigner')):
            head = _retina(assigner=assigner)
            cls, reg = _outs(logits)
            head.loss_by_feat([cls], [reg], GTS, METAS)
            res = head._raw_positive_infos['sampling_results'][0]
            out[name, assigner is None] = (res.pos_inds.tolist(),
                                           res.pos_assigned_gt_inds.tolist())
    assert all(out[name, True] == ([6, 7], [0, 1]) for name in cases)    # MaxIoU
    assert out['none', False] == out['class 0', False] == ([6, 7], [0, 1])
    assert out['class 1', False] == ([3, 6, 7], [1, 0, 1])


def test_head_and_assigner_keep_no_state_between_calls():
    head = _retina(assigner=dict(type='IoUClsAwareAssigner'),
                   loss_weighters=dict(cls=[dict(type='DCWeighter')]))
    head_before, assigner_before = set(vars(head)), dict(vars(head.assigner))
    logits = LOGITS.clone()
    logits[3, 1] = 5.0
    cls, reg = _outs(logits)
    first = head.loss_by_feat([cls], [reg], GTS, METAS)
    # ``_raw_positive_infos`` is mmdet's own record (AnchorHead.get_targets)
    assert set(vars(head)) == head_before
    assert vars(head.assigner) == assigner_before
    second = head.loss_by_feat([cls], [reg], GTS, METAS)
    for k in first:
        torch.testing.assert_close(first[k][0], second[k][0], rtol=0, atol=0)


# ATSS: one level of 4x4 anchors of side 8 at stride 8 (centres 0, 8, 16, 24).
# GT A [4,4,20,14] (class 1) and GT B [14,10,30,30] (class 0): ATSS makes
# anchors 5, 6 positive for A and 11, 15 for B (4 positives).
ATSS_GTS = [InstanceData(bboxes=torch.tensor([[4., 4., 20., 14.], [14., 10., 30., 30.]]),
                         labels=torch.tensor([1, 0]))]


def _atss(cls=ATSSHead, **kw):
    return cls(num_classes=2, in_channels=1, feat_channels=1, stacked_convs=0,
               anchor_generator=dict(type='AnchorGenerator', ratios=[1.0], octave_base_scale=1,
                                     scales_per_octave=1, strides=[8]),
               bbox_coder=dict(type='DeltaXYWHBBoxCoder', target_means=[0.] * 4,
                               target_stds=[0.1, 0.1, 0.2, 0.2]),
               train_cfg=ConfigDict(assigner=dict(type='ATSSAssigner', topk=9),
                                    allowed_border=-1, pos_weight=-1, debug=False,
                                    sampler=dict(type='PseudoSampler')),
               loss_cls=dict(type='FocalLoss', use_sigmoid=True, gamma=2.0, alpha=0.25,
                             loss_weight=1.0),
               loss_bbox=dict(type='GIoULoss', loss_weight=2.0), **kw)


def _lambda(pred, gt):
    """Eq. 2, written out: 1 / (sigmoid(d^2) + tanh(|w/h - w^/h^|))."""
    gw, gh, pw, ph = gt[2] - gt[0], gt[3] - gt[1], pred[2] - pred[0], pred[3] - pred[1]
    dx = (pred[0] + pred[2] - gt[0] - gt[2]) / 2 / gw
    dy = (pred[1] + pred[3] - gt[1] - gt[3]) / 2 / gh
    return 1 / (_sig(dx**2 + dy**2) + math.tanh(abs(gw / gh - pw / ph)))


def test_atss_head_dc_rescales_several_positives():
    stock = _atss()
    dc = _atss(cls=BoxWeightedATSSHead, loss_weighters=dict(cls=[dict(type='DCWeighter')]))
    dc.load_state_dict(stock.state_dict())
    torch.manual_seed(3)
    logits = torch.randn(1, 2, 4, 4)
    reg = torch.randn(1, 4, 4, 4)
    ctr = torch.randn(1, 1, 4, 4)
    grads, losses = [], []
    for head in (stock, dc):
        cls = logits.clone().requires_grad_(True)
        out = head.loss_by_feat([cls], [reg], [ctr], ATSS_GTS, METAS)
        out['loss_cls'][0].backward()
        losses.append(out)
        grads.append(cls.grad.permute(0, 2, 3, 1).reshape(16, 2))
    # lambda of each positive from its decoded prediction (clipped to the
    # image) and its GT, normalised over the 4 positives
    pos, gt_of = [5, 6, 11, 15], {5: 0, 6: 0, 11: 1, 15: 1}
    anchors = stock.get_anchors([(4, 4)], METAS, device='cpu')[0][0][0]
    deltas = reg.permute(0, 2, 3, 1).reshape(16, 4)
    pred = stock.bbox_coder.decode(anchors[pos], deltas[pos], max_shape=(32, 32))
    lam = torch.tensor([_lambda(p.tolist(), ATSS_GTS[0].bboxes[gt_of[i]].tolist())
                        for p, i in zip(pred, pos)])
    flat = logits.permute(0, 2, 3, 1).reshape(16, 2)
    L = FocalLoss(reduction='none')(flat[pos], ATSS_GTS[0].labels[[gt_of[i] for i in pos]]).sum(-1)
    lam_n = lam * L.sum() / (lam * L).sum()
    assert lam_n.max() / lam_n.min() > 1.05        # DC is not the identity here
    torch.testing.assert_close(grads[1][pos], grads[0][pos] * lam_n[:, None])
    neg = [i for i in range(16) if i not in pos]
    torch.testing.assert_close(grads[1][neg], grads[0][neg], rtol=0, atol=0)
    for k in ('loss_cls', 'loss_bbox', 'loss_centerness'):
        torch.testing.assert_close(losses[1][k][0], losses[0][k][0])


@pytest.mark.parametrize('weighters', [None, dict(cls=[_Ones()])],
                         ids=['no weighters', 'all-ones weighters'])
def test_equals_stock_atss_head(weighters):
    stock, ours = _atss(), _atss(cls=BoxWeightedATSSHead, loss_weighters=weighters)
    ours.load_state_dict(stock.state_dict())
    torch.manual_seed(4)
    outs = [torch.randn(2, 2, 4, 4)], [torch.randn(2, 4, 4, 4)], [torch.randn(2, 1, 4, 4)]
    gts = ATSS_GTS + [InstanceData(bboxes=torch.tensor([[2., 3., 12., 9.]]),
                                   labels=torch.tensor([1]))]
    la = stock.loss_by_feat(*outs, gts, METAS * 2)
    lb = ours.loss_by_feat(*outs, gts, METAS * 2)
    assert set(la) == set(lb)
    for k in la:
        torch.testing.assert_close(la[k][0], lb[k][0], rtol=0, atol=0)


def test_atss_head_accepts_cls_weighters_only():
    with pytest.raises(ValueError, match="ignores per-box weights of term"):
        _atss(cls=BoxWeightedATSSHead, loss_weighters=dict(reg=[dict(type='PLBWeighter')]))
