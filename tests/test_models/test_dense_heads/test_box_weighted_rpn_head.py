"""PLB1C / PLB1B through the RPN head on a hand-built case.

Image 32x32, one 2x2 feature map (stride 16), anchors of side 16 and 32 at
each location (index = 2 * location + size, locations (0,0), (16,0), (0,16),
(16,16)). Ground truths (neither is an anchor): GT1 = [6,8,26,24] (20x16,
area + 1 = 321), GT2 = [0,2,32,30] (32x28, area + 1 = 897). With mmdet's RPN
assigner (pos 0.7, neg 0.3):

    anchor  box                 IoU GT1  IoU GT2   label
    0       [-8,-8,8,8]         0        0.043     neg
    1       [-16,-16,16,16]     0.063    0.132     neg
    2       [8,-8,24,8]         0        0.091     neg
    3       [0,-16,32,16]       0.135    0.304     ignored
    4       [-8,8,8,24]         0.059    0.125     neg
    5       [-16,0,16,32]       0.135    0.304     ignored
    6       [8,8,24,24]         0.8      0.286     pos (GT1)
    7       [0,0,32,32]         0.313    0.875     pos (GT2)

The sampler keeps all 6 non-ignored anchors: avg_factor = 6.

Predicted boxes (decoded, clipped to the image), area + 1:

    0  deltas (0, 0, log 2, log 2): [-16,-16,16,16] -> [0,0,16,16]   257
    1  zeros: [-16,-16,16,16] -> [0,0,16,16]                           257
    2  zeros: [8,-8,24,8] -> [8,0,24,8]                                129
    4  zeros: [-8,8,8,24] -> [0,8,8,24]                                129
    6  (0.1, -0.2, 0, 0): [9.6,4.8,25.6,20.8]                         257
    7  (0, 0, log 3/4, log 3/4): [4,4,28,28]                           577

Regression targets: anchor 6 -> GT1: (0, 0, log 5/4, 0); anchor 7 -> GT2:
(0, 0, 0, log 7/8). L1 losses: 0.3 + log 5/4 and log 4/3 + log 7/6.
"""
import math

import pytest
import torch
from mmengine.config import ConfigDict
from mmengine.structures import InstanceData

from mmdet.models.dense_heads import RPNHead
from plb_mm.models import BoxWeightedRPNHead

LOGITS = torch.tensor([0.5, -1.0, 2.0, 0.0, 1.0, -0.5, 0.3, -2.0])
DELTAS = torch.zeros(8, 4)
DELTAS[0, 2:] = math.log(2)
DELTAS[6] = torch.tensor([0.1, -0.2, 0.0, 0.0])
DELTAS[7, 2:] = math.log(0.75)
GT = InstanceData(bboxes=torch.tensor([[6., 8., 26., 24.], [0., 2., 32., 30.]]),
                  labels=torch.tensor([0, 0]))
META = dict(img_shape=(32, 32), pad_shape=(32, 32))
SAMPLED = [0, 1, 2, 4, 6, 7]
POS = [6, 7]
L1 = {6: 0.3 + math.log(5 / 4), 7: math.log(4 / 3) + math.log(7 / 6)}
AREA = {0: 257, 1: 257, 2: 129, 4: 129, 6: 257, 7: 577}   # predicted, + 1
GT_AREA = {6: 321, 7: 897}


def _head(cls=BoxWeightedRPNHead, **kw):
    train_cfg = ConfigDict(
        assigner=dict(type='MaxIoUAssigner', pos_iou_thr=0.7, neg_iou_thr=0.3,
                      min_pos_iou=0.3, match_low_quality=True, ignore_iof_thr=-1),
        sampler=dict(type='RandomSampler', num=256, pos_fraction=0.5, neg_pos_ub=-1,
                     add_gt_as_proposals=False),
        allowed_border=-1, pos_weight=-1, debug=False)
    kw.setdefault('anchor_generator', dict(type='AnchorGenerator', strides=[16],
                                           ratios=[1.0], scales=[1, 2]))
    return cls(in_channels=1, feat_channels=1, train_cfg=train_cfg,
               loss_bbox=dict(type='L1Loss', loss_weight=1.0), **kw)


def _maps(logits, deltas):
    """(8, ) logits and (8, 4) deltas in anchor order -> (N, A, H, W), (N, A*4, H, W)."""
    return (logits.reshape(-1, 2, 2, 2).permute(0, 3, 1, 2),
            deltas.reshape(-1, 2, 2, 8).permute(0, 3, 1, 2))


def _loss(head, logits=LOGITS, deltas=DELTAS, gts=(GT, ), metas=(META, )):
    cls_score, bbox_pred = _maps(logits, deltas)
    return head.loss_by_feat([cls_score], [bbox_pred], list(gts), list(metas))


def _bce(i, pos=POS, logits=LOGITS):
    target = 1.0 if i in pos else 0.0
    return torch.nn.functional.softplus(logits[i]) - target * logits[i]


def _plb(areas):
    """PLB weights 2m / (m + a) of a dict index -> area + 1."""
    m = sum(areas.values()) / len(areas)
    return {i: 2 * m / (m + a) for i, a in areas.items()}


def test_stock_values_by_hand():
    losses = _loss(_head())
    cls = sum(_bce(i) for i in SAMPLED) / 6
    torch.testing.assert_close(losses['loss_rpn_cls'][0], cls)
    torch.testing.assert_close(losses['loss_rpn_bbox'][0], torch.tensor((L1[6] + L1[7]) / 6))


def test_plb1c_by_hand():
    losses = _loss(_head(loss_weighters=dict(cls=[dict(type='PLBWeighter')])))
    # sum of a = 1606 over 6 anchors: w = 2 * 1606 / (1606 + 6 a)
    w = {i: 3212 / (1606 + 6 * a) for i, a in AREA.items()}
    assert w == pytest.approx(_plb(AREA))
    cls = sum(w[i] * _bce(i) for i in SAMPLED) / 6   # unchanged normaliser
    torch.testing.assert_close(losses['loss_rpn_cls'][0], cls)
    torch.testing.assert_close(losses['loss_rpn_bbox'][0], torch.tensor((L1[6] + L1[7]) / 6))


def test_plb1b_by_hand():
    losses = _loss(_head(loss_weighters=dict(reg=[dict(type='PLBWeighter')])))
    # positives 6 (a = 257) and 7 (577): m = 417, w = 834 / (417 + a)
    reg = (834 / 674 * L1[6] + 834 / 994 * L1[7]) / 6
    torch.testing.assert_close(losses['loss_rpn_bbox'][0], torch.tensor(reg))
    torch.testing.assert_close(losses['loss_rpn_cls'][0], sum(_bce(i) for i in SAMPLED) / 6)


def test_plb1b_gt_source_uses_the_matched_gt_boxes():
    losses = _loss(_head(loss_weighters=dict(reg=[dict(type='PLBWeighter', box_source='gt')])))
    # GT areas + 1: 321 (GT1, anchor 6), 897 (GT2, anchor 7): m = 609,
    # w = 1218 / (609 + a); 'pred' would give 834/674 and 834/994 (above), an
    # anchor instead of its GT 257 and 1025 (m = 641)
    reg = (1218 / 930 * L1[6] + 1218 / 1506 * L1[7]) / 6
    torch.testing.assert_close(losses['loss_rpn_bbox'][0], torch.tensor(reg))


def test_plb1c_gt_source_keeps_predicted_boxes_for_negatives():
    losses = _loss(_head(loss_weighters=dict(cls=[dict(type='PLBWeighter', box_source='gt')])))
    # positives take their GT areas (321, 897), negatives their predictions
    areas = {**AREA, **GT_AREA}                     # sum 1990
    w = {i: 3980 / (1990 + 6 * a) for i, a in areas.items()}
    torch.testing.assert_close(losses['loss_rpn_cls'][0],
                               sum(w[i] * _bce(i) for i in SAMPLED) / 6)


def test_plb_image_scope_through_the_head():
    """Two images: image 0 as above; image 1 has GT2 only and zero deltas.
    Image 1: anchor 7 is positive (IoU 0.875), 6 negative (0.286), 3 and 5
    ignored; its predicted boxes are the anchors clipped: a = 65 (anchor 0,
    [0,0,8,8]), 257, 129, 129, 257, 1025."""
    area1 = {0: 65, 1: 257, 2: 129, 4: 129, 6: 257, 7: 1025}
    gt1 = InstanceData(bboxes=GT.bboxes[1:], labels=GT.labels[1:])
    args = dict(logits=LOGITS.repeat(2), deltas=torch.cat([DELTAS, torch.zeros(8, 4)]),
                gts=(GT, gt1), metas=(META, META))
    for scope in ('image', 'batch'):
        head = _head(loss_weighters=dict(cls=[dict(type='PLBWeighter', mean_scope=scope)],
                                         reg=[dict(type='PLBWeighter', mean_scope=scope)]))
        losses = _loss(head, **args)
        if scope == 'image':   # each image's own mean: 1606 / 6 and 1862 / 6
            w0, w1 = _plb(AREA), _plb(area1)
            r0, r1 = _plb({6: 257, 7: 577}), {7: 1.0}   # image 1 has one positive
        else:                  # one mean over the 12 (cls) and 3 (reg) boxes
            w = _plb({**AREA, **{i + 8: a for i, a in area1.items()}})
            w0, w1 = w, {i: w[i + 8] for i in area1}
            r = _plb({6: 257, 7: 577, 15: 1025})
            r0, r1 = {6: r[6], 7: r[7]}, {7: r[15]}
        cls = (sum(w0[i] * _bce(i) for i in SAMPLED)
               + sum(w1[i] * _bce(i, pos=[7]) for i in SAMPLED)) / 12
        torch.testing.assert_close(losses['loss_rpn_cls'][0], cls)
        # image 1, anchor 7: target (0, 0, 0, log 7/8), prediction 0: L1 = log 8/7
        reg = (r0[6] * L1[6] + r0[7] * L1[7] + r1[7] * math.log(8 / 7)) / 12
        torch.testing.assert_close(losses['loss_rpn_bbox'][0], torch.tensor(reg))


class _Ones:
    """A weighter that weights every box 1: the weighting path, no effect."""
    positives_only = False

    def __call__(self, boxes):
        return boxes.pred_boxes.new_ones(len(boxes))


@pytest.mark.parametrize('weighters', [None, dict(cls=[_Ones()], reg=[_Ones()])],
                         ids=['no weighters', 'all-ones weighters'])
def test_equals_stock_rpn_head(weighters):
    """Random outputs, two levels, one image without GT: identical losses,
    without weighters and through the weighting path with weights of 1."""
    gen = dict(type='AnchorGenerator', strides=[4, 8], ratios=[0.5, 1.0, 2.0], scales=[2])
    stock = _head(cls=RPNHead, anchor_generator=gen)
    ours = _head(anchor_generator=gen, loss_weighters=weighters)
    torch.manual_seed(0)
    outs = ([torch.randn(2, 3, s, s) for s in (8, 4)], [torch.randn(2, 12, s, s) for s in (8, 4)])
    gts = [InstanceData(bboxes=torch.tensor([[2., 3., 12., 20.], [14., 1., 30., 9.]]),
                        labels=torch.tensor([0, 0])),
           InstanceData(bboxes=torch.zeros(0, 4), labels=torch.zeros(0, dtype=torch.long))]
    metas = [dict(img_shape=(32, 32), pad_shape=(32, 32))] * 2
    torch.manual_seed(1)
    a = stock.loss_by_feat(*outs, gts, metas)
    torch.manual_seed(1)
    b = ours.loss_by_feat(*outs, gts, metas)
    assert set(a) == set(b) == {'loss_rpn_cls', 'loss_rpn_bbox'}
    for k in a:
        for x, y in zip(a[k], b[k]):
            torch.testing.assert_close(x, y, rtol=0, atol=0)


def test_weights_carry_no_gradient_in_either_term():
    """PLB1C's weights come from the decoded boxes, i.e. from ``bbox_preds``:
    the cls loss must not reach ``bbox_preds`` through them; PLB1B's weights
    must not add a gradient to the box loss either."""
    head = _head(loss_weighters=dict(cls=[dict(type='PLBWeighter')],
                                     reg=[dict(type='PLBWeighter')]))
    w_cls, w_reg = _plb(AREA), _plb({6: 257, 7: 577})
    for term in ('loss_rpn_cls', 'loss_rpn_bbox'):
        cls_score, bbox_pred = (t.clone().requires_grad_(True) for t in _maps(LOGITS, DELTAS))
        losses = head.loss_by_feat([cls_score], [bbox_pred], [GT], [META])
        losses[term][0].backward()
        # no path at all leaves .grad None
        g_cls = torch.zeros(8) if cls_score.grad is None \
            else cls_score.grad.permute(0, 2, 3, 1).reshape(8)
        g_reg = torch.zeros(8, 4) if bbox_pred.grad is None \
            else bbox_pred.grad.permute(0, 2, 3, 1).reshape(8, 4)
        if term == 'loss_rpn_cls':
            # d/d logit_i = w_i (sigmoid(x_i) - t_i) / 6 with w a constant
            t = torch.tensor([1.0 if i in POS else 0.0 for i in range(8)])
            expected = torch.tensor([w_cls.get(i, 0.0) for i in range(8)]) \
                * (torch.sigmoid(LOGITS) - t) / 6
            torch.testing.assert_close(g_cls, expected)
            assert not g_reg.any()
        else:
            # d/d delta = w_i sign(delta - target) / 6: anchor 6 (0.1, -0.2, 0, 0)
            # against (0, 0, log 5/4, 0), anchor 7 (0, 0, log 3/4, log 3/4)
            # against (0, 0, 0, log 7/8); a zero difference has gradient 0
            expected = torch.zeros(8, 4)
            expected[6] = w_reg[6] * torch.tensor([1., -1., -1., 0.]) / 6
            expected[7] = w_reg[7] * torch.tensor([0., 0., -1., -1.]) / 6
            torch.testing.assert_close(g_reg, expected)
            assert not g_cls.any()


def test_empty_gt_is_finite():
    head = _head(loss_weighters=dict(cls=[dict(type='PLBWeighter')],
                                     reg=[dict(type='PLBWeighter')]))
    empty = InstanceData(bboxes=torch.zeros(0, 4), labels=torch.zeros(0, dtype=torch.long))
    losses = _loss(head, gts=(empty, ))
    assert torch.isfinite(losses['loss_rpn_cls'][0]) and losses['loss_rpn_bbox'][0] == 0


def test_unknown_term_is_an_error():
    with pytest.raises(KeyError, match="unknown loss term"):
        _head(loss_weighters=dict(obj=[dict(type='PLBWeighter')]))


def test_head_keeps_no_state_between_calls():
    head = _head(loss_weighters=dict(cls=[dict(type='PLBWeighter')],
                                     reg=[dict(type='PLBWeighter')]))
    before = set(vars(head))
    _loss(head)
    # ``_raw_positive_infos`` is mmdet's own record (AnchorHead.get_targets)
    assert set(vars(head)) == before


class _Recorder:
    """A weighter that keeps the boxes it was given and returns weights 1..n."""

    def __init__(self, positives_only=False):
        self.positives_only = positives_only
        self.seen = []

    def __call__(self, boxes):
        self.seen.append(boxes)
        return torch.arange(1, len(boxes) + 1, dtype=torch.float32)


@pytest.mark.parametrize('term', ['cls', 'reg'])
def test_gathered_entries_match_a_reference_over_levels_and_images(term):
    """Two images of different sizes, two levels, anchors reaching outside the
    images: the entries handed to a weighter are those of the term's mask
    (``label_weights > 0`` / ``bbox_weights > 0``), with their decoded and
    clipped predictions, their images, labels, exact matched GT boxes and
    losses; the weights go back to the same entries."""
    gen = dict(type='AnchorGenerator', strides=[4, 8], ratios=[0.5, 1.0, 2.0], scales=[2])
    rec = _Recorder()
    head = _head(anchor_generator=gen, loss_weighters={term: [rec]})
    torch.manual_seed(0)
    cls_scores = [torch.randn(2, 3, s, s) for s in (8, 4)]
    bbox_preds = [torch.randn(2, 12, s, s) * 0.3 for s in (8, 4)]
    gts = [InstanceData(bboxes=torch.tensor([[2., 3., 12., 20.], [14., 1., 30., 9.]]),
                        labels=torch.tensor([0, 0])),
           InstanceData(bboxes=torch.tensor([[5., 5., 25., 15.], [3., 2., 9., 7.]]),
                        labels=torch.tensor([0, 0]))]
    metas = [dict(img_shape=(32, 32), pad_shape=(32, 32)),
             dict(img_shape=(24, 28), pad_shape=(32, 32))]
    anchor_list, valid = head.get_anchors([(8, 8), (4, 4)], metas, device='cpu')
    torch.manual_seed(1)
    targets = head.get_targets(anchor_list, valid, gts, metas, return_sampling_results=True)
    labels, label_weights, bbox_targets, bbox_weights, _, sampling_results, _ = targets
    plain = [t.clone() for t in (label_weights if term == 'cls' else bbox_weights)]
    head.apply_loss_weighters(anchor_list, targets, cls_scores, bbox_preds, metas)
    boxes = rec.seen[0]
    # Reference: flatten level by level with permute/reshape, then select.
    ref = dict(pred=[], img=[], lab=[], score=[], delta=[], target=[])
    for lvl in range(2):
        mask = plain[lvl] > 0 if term == 'cls' else plain[lvl][..., 0] > 0
        deltas = bbox_preds[lvl].permute(0, 2, 3, 1).reshape(2, -1, 4)
        anchors = torch.stack([anchor_list[i][lvl] for i in range(2)])
        img = mask.nonzero()[:, 0]
        shapes = torch.tensor([m['img_shape'] for m in metas], dtype=torch.float32)[img]
        pred = head.bbox_coder.decode(anchors[mask], deltas[mask])
        pred[:, 0::2] = torch.min(pred[:, 0::2].clamp(min=0), shapes[:, 1:2])
        pred[:, 1::2] = torch.min(pred[:, 1::2].clamp(min=0), shapes[:, 0:1])
        ref['pred'].append(pred)
        ref['score'].append(cls_scores[lvl].permute(0, 2, 3, 1).reshape(2, -1, 1)[mask])
        ref['delta'].append(deltas[mask])
        ref['target'].append(bbox_targets[lvl][mask])
        ref['img'].append(img)
        ref['lab'].append(labels[lvl][mask])
    ref = {k: torch.cat(v) for k, v in ref.items()}
    torch.testing.assert_close(boxes.pred_boxes, ref['pred'])
    assert (boxes.pred_boxes >= 0).all()
    assert (boxes.pred_boxes[boxes.img_inds == 1, 0::2] <= 28).all()
    assert torch.equal(boxes.img_inds, ref['img'])
    assert torch.equal(boxes.labels, ref['lab'])
    assert set(boxes.img_inds.tolist()) == {0, 1}
    assert len(boxes) == sum(int((w > 0).sum()) for w in plain) // (1 if term == 'cls' else 4)
    # The matched GT of each positive: the GT box itself, as its sampling result has it.
    pos = boxes.is_pos
    assert pos.any() and (term == 'cls') == (not pos.all())
    for i, res in enumerate(sampling_results):
        got = boxes.gt_boxes[pos & (boxes.img_inds == i)]
        assert sorted(got.tolist()) == sorted(res.pos_gt_bboxes.tolist())
        assert all(row in gts[i].bboxes.tolist() for row in got.tolist())
    # The loss the weighter could ask for is the term's own unreduced loss.
    if term == 'cls':
        expected = torch.nn.functional.binary_cross_entropy_with_logits(
            ref['score'][:, 0], (boxes.labels == 0).float(), reduction='none')
    else:
        expected = (ref['delta'] - ref['target']).abs().sum(-1)
    torch.testing.assert_close(boxes.losses(), expected)
    # Weights 1..n went back to the same entries, level by level (all 4
    # columns of bbox_weights for reg).
    after = label_weights if term == 'cls' else bbox_weights
    w = torch.cat([lw[p > 0].reshape(-1, 1 if term == 'cls' else 4)
                   / p[p > 0].reshape(-1, 1 if term == 'cls' else 4)
                   for lw, p in zip(after, plain)])
    n = len(boxes)
    torch.testing.assert_close(w, torch.arange(1, n + 1, dtype=torch.float32)[:, None].expand_as(w))
