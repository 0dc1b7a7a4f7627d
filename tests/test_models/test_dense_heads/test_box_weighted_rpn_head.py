"""PLB1C / PLB1B through the RPN head on a hand-built case.

Image 32x32, one 2x2 feature map (stride 16), anchors of side 16 and 32 at
each location (index = 2 * location + size, locations (0,0), (16,0), (0,16),
(16,16)). Ground truths: GT1 = the side-16 anchor at (16,16), GT2 = the side-32
anchor there. With mmdet's RPN assigner (pos 0.7, neg 0.3):

    anchor  box                 IoU GT1  IoU GT2   label
    0       [-8,-8,8,8]         0        0.053     neg
    1       [-16,-16,16,16]     0.053    0.143     neg
    2       [8,-8,24,8]         0        0.111     neg
    3       [0,-16,32,16]       0.111    0.333     ignored
    4       [-8,8,8,24]         0        0.111     neg
    5       [-16,0,16,32]       0.111    0.333     ignored
    6       [8,8,24,24]         1        0.25      pos (GT1)
    7       [0,0,32,32]         0.25     1         pos (GT2)

The sampler keeps all 6 non-ignored anchors: avg_factor = 6.
"""
import math

import pytest
import torch
from mmengine.config import ConfigDict
from mmengine.structures import InstanceData

from mmdet.models.dense_heads import RPNHead
from plb_mm.models import BoxWeightedRPNHead

LOGITS = torch.tensor([0.5, -1.0, 2.0, 0.0, 1.0, -0.5, 0.3, -2.0])
# Anchor 0 predicts a box twice its size (area 1024); the positives are shifted.
DELTAS = torch.zeros(8, 4)
DELTAS[0, 2:] = math.log(2)
DELTAS[6] = torch.tensor([0.1, -0.2, 0.0, 0.0])
DELTAS[7] = torch.tensor([0.05, 0.0, 0.0, 0.0])
SAMPLED = [0, 1, 2, 4, 6, 7]
POS = [6, 7]


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


def _loss(head):
    cls_scores = [LOGITS.reshape(2, 2, 2).permute(2, 0, 1)[None]]        # (1, A, H, W)
    bbox_preds = [DELTAS.reshape(2, 2, 8).permute(2, 0, 1)[None]]        # (1, A*4, H, W)
    gt = InstanceData(bboxes=torch.tensor([[8., 8., 24., 24.], [0., 0., 32., 32.]]),
                      labels=torch.tensor([0, 0]))
    meta = dict(img_shape=(32, 32), pad_shape=(32, 32))
    return head.loss_by_feat(cls_scores, bbox_preds, [gt], [meta])


def _bce(i):
    target = 1.0 if i in POS else 0.0
    return torch.nn.functional.softplus(LOGITS[i]) - target * LOGITS[i]


def test_stock_values_by_hand():
    losses = _loss(_head())
    cls = sum(_bce(i) for i in SAMPLED) / 6
    reg = (0.3 + 0.05) / 6
    torch.testing.assert_close(losses['loss_rpn_cls'][0], cls)
    torch.testing.assert_close(losses['loss_rpn_bbox'][0], torch.tensor(reg))


def test_plb1c_by_hand():
    losses = _loss(_head(loss_weighters=dict(cls=[dict(type='PLBWeighter')])))
    # Decoded predicted areas + 1 of the sampled anchors: anchor 0 is 1025 (its
    # prediction is 32x32), 2/4/6 are 257, 1/7 are 1025: m = 641.
    w = {0: 1282 / 1666, 1: 1282 / 1666, 2: 1282 / 898, 4: 1282 / 898, 6: 1282 / 898,
         7: 1282 / 1666}
    cls = sum(w[i] * _bce(i) for i in SAMPLED) / 6   # unchanged normaliser
    torch.testing.assert_close(losses['loss_rpn_cls'][0], cls)
    torch.testing.assert_close(losses['loss_rpn_bbox'][0], torch.tensor(0.35 / 6))


def test_plb1b_by_hand():
    losses = _loss(_head(loss_weighters=dict(reg=[dict(type='PLBWeighter')])))
    # Positives 6 (area+1 257) and 7 (1025): m = 641.
    reg = (1282 / 898 * 0.3 + 1282 / 1666 * 0.05) / 6
    torch.testing.assert_close(losses['loss_rpn_bbox'][0], torch.tensor(reg))
    torch.testing.assert_close(losses['loss_rpn_cls'][0], sum(_bce(i) for i in SAMPLED) / 6)


def test_plb1b_gt_source_uses_matched_gt():
    # The positives' GT boxes have areas 256 and 1024: the same as their
    # predicted boxes here, so compare with the negatives' predicted boxes in
    # the cls term instead: with 'gt', positives use GT areas, negatives keep
    # their decoded prediction (anchor 0: 1024).
    head = _head(loss_weighters=dict(cls=[dict(type='PLBWeighter', box_source='gt')]))
    losses = _loss(head)
    w = {0: 1282 / 1666, 1: 1282 / 1666, 2: 1282 / 898, 4: 1282 / 898, 6: 1282 / 898,
         7: 1282 / 1666}
    torch.testing.assert_close(losses['loss_rpn_cls'][0],
                               sum(w[i] * _bce(i) for i in SAMPLED) / 6)


def test_no_weighters_equals_stock_rpn_head():
    """Random outputs, two levels, one image without GT: identical losses."""
    gen = dict(type='AnchorGenerator', strides=[4, 8], ratios=[0.5, 1.0, 2.0], scales=[2])
    stock, ours = _head(cls=RPNHead, anchor_generator=gen), _head(anchor_generator=gen)
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


def test_weights_do_not_carry_gradient_and_empty_gt_is_finite():
    head = _head(loss_weighters=dict(cls=[dict(type='PLBWeighter')], reg=[dict(type='PLBWeighter')]))
    cls_scores = [LOGITS.reshape(2, 2, 2).permute(2, 0, 1)[None].clone().requires_grad_(True)]
    bbox_preds = [DELTAS.reshape(2, 2, 8).permute(2, 0, 1)[None].clone().requires_grad_(True)]
    gt = InstanceData(bboxes=torch.tensor([[8., 8., 24., 24.], [0., 0., 32., 32.]]),
                      labels=torch.tensor([0, 0]))
    meta = dict(img_shape=(32, 32), pad_shape=(32, 32))
    losses = head.loss_by_feat(cls_scores, bbox_preds, [gt], [meta])
    losses['loss_rpn_cls'][0].backward()
    # d(loss)/d(logit_i) = w_i * (sigmoid(x_i) - t_i) / 6: the weight is a constant.
    w6 = 1282 / 898
    g = cls_scores[0].grad.permute(0, 2, 3, 1).reshape(-1)[6]
    torch.testing.assert_close(g, w6 * (torch.sigmoid(LOGITS[6]) - 1) / 6)
    empty = InstanceData(bboxes=torch.zeros(0, 4), labels=torch.zeros(0, dtype=torch.long))
    losses = head.loss_by_feat([c.detach() for c in cls_scores], [b.detach() for b in bbox_preds],
                               [empty], [meta])
    assert torch.isfinite(losses['loss_rpn_cls'][0]) and losses['loss_rpn_bbox'][0] == 0


def test_unknown_term_is_an_error():
    with pytest.raises(KeyError, match="unknown loss term"):
        _head(loss_weighters=dict(obj=[dict(type='PLBWeighter')]))


class _Recorder:
    """A weighter that keeps the boxes it was given and returns weights 1..n."""
    positives_only = False

    def __init__(self):
        self.seen = []

    def __call__(self, boxes):
        self.seen.append(boxes)
        return torch.arange(1, len(boxes) + 1, dtype=torch.float32)


def test_gathered_entries_match_a_reference_over_levels_and_images():
    gen = dict(type='AnchorGenerator', strides=[4, 8], ratios=[0.5, 1.0, 2.0], scales=[2])
    rec = _Recorder()
    head = _head(anchor_generator=gen, loss_weighters=dict(cls=[rec]))
    torch.manual_seed(0)
    cls_scores = [torch.randn(2, 3, s, s) for s in (8, 4)]
    bbox_preds = [torch.randn(2, 12, s, s) * 0.1 for s in (8, 4)]
    gts = [InstanceData(bboxes=torch.tensor([[2., 3., 12., 20.], [14., 1., 30., 9.]]),
                        labels=torch.tensor([0, 0])),
           InstanceData(bboxes=torch.tensor([[5., 5., 25., 15.]]), labels=torch.tensor([0]))]
    metas = [dict(img_shape=(32, 32), pad_shape=(32, 32))] * 2
    anchor_list, valid = head.get_anchors([(8, 8), (4, 4)], metas, device='cpu')
    torch.manual_seed(1)
    targets = head.get_targets(anchor_list, valid, gts, metas)  # stock targets
    plain_lw = [t.clone() for t in targets[1]]
    head.apply_loss_weighters(anchor_list, targets, cls_scores, bbox_preds)
    boxes = rec.seen[0]
    # Reference: flatten level by level with permute/reshape, then select.
    ref_pred, ref_img, ref_lab, ref_score = [], [], [], []
    for lvl in range(2):
        mask = plain_lw[lvl] > 0
        deltas = bbox_preds[lvl].permute(0, 2, 3, 1).reshape(2, -1, 4)
        anchors = torch.stack([anchor_list[i][lvl] for i in range(2)])
        ref_pred.append(head.bbox_coder.decode(anchors[mask], deltas[mask]))
        ref_score.append(cls_scores[lvl].permute(0, 2, 3, 1).reshape(2, -1, 1)[mask])
        ref_img.append(mask.nonzero()[:, 0])
        ref_lab.append(targets[0][lvl][mask])
    torch.testing.assert_close(boxes.pred_boxes, torch.cat(ref_pred))
    assert torch.equal(boxes.img_inds, torch.cat(ref_img))
    assert torch.equal(boxes.labels, torch.cat(ref_lab))
    assert set(boxes.img_inds.tolist()) == {0, 1} and len(boxes) == sum(int((w > 0).sum()) for w in plain_lw)
    # The loss the weighter could ask for is the sigmoid CE of those scores.
    torch.testing.assert_close(
        boxes.losses(), torch.nn.functional.binary_cross_entropy_with_logits(
            torch.cat(ref_score)[:, 0], (boxes.labels == 0).float(), reduction='none'))
    # Weights 1..n went back to the same entries, level by level.
    w = torch.cat([lw[lw_plain > 0] / lw_plain[lw_plain > 0]
                   for lw, lw_plain in zip(targets[1], plain_lw)])
    torch.testing.assert_close(w, torch.arange(1, len(boxes) + 1, dtype=torch.float32))
