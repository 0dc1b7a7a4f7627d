"""DC loss, IAC score feeding and stock equality through the RetinaNet and
ATSS heads.

Same layout as the RPN test: image 32x32, a 2x2 map at stride 16, anchors of
side 16 and 32 per location (index = 2 * location + size). GT1 (class 0) =
anchor 6, GT2 (class 1) = anchor 7; every other anchor has IoU < 0.4 with
both: positives 6 and 7, six negatives.
"""
import math

import pytest
import torch
from mmengine.config import ConfigDict
from mmengine.structures import InstanceData

from mmdet.models.dense_heads import ATSSHead, RetinaHead
from mmdet.models.losses import FocalLoss
from plb_mm.models import BoxWeightedATSSHead, BoxWeightedRetinaHead, IoUClsAwareAssigner

GEN = dict(type='AnchorGenerator', strides=[16], ratios=[1.0], scales=[1, 2])
CODER = dict(type='DeltaXYWHBBoxCoder', target_means=[0.] * 4, target_stds=[1.] * 4)
GTS = [InstanceData(bboxes=torch.tensor([[8., 8., 24., 24.], [0., 0., 32., 32.]]),
                    labels=torch.tensor([0, 1]))]
METAS = [dict(img_shape=(32, 32), pad_shape=(32, 32))]
DELTAS = torch.zeros(8, 4)
DELTAS[6] = torch.tensor([0.1, -0.2, 0.0, 0.0])   # centre off by (1.6, -3.2) px on 16 px
DELTAS[7] = torch.tensor([0.05, 0.0, 0.0, 0.0])   # centre off by 1.6 px on 32 px
torch.manual_seed(0)
LOGITS = torch.randn(8, 2)


def _retina(cls=BoxWeightedRetinaHead, assigner=None, **kw):
    train_cfg = ConfigDict(
        assigner=assigner or dict(type='MaxIoUAssigner', pos_iou_thr=0.5, neg_iou_thr=0.4,
                                  min_pos_iou=0, ignore_iof_thr=-1),
        sampler=dict(type='PseudoSampler'), allowed_border=-1, pos_weight=-1, debug=False)
    return cls(num_classes=2, in_channels=1, feat_channels=1, stacked_convs=0,
               anchor_generator=GEN, bbox_coder=CODER, train_cfg=train_cfg,
               loss_cls=dict(type='FocalLoss', use_sigmoid=True, gamma=2.0, alpha=0.25,
                             loss_weight=1.0), **kw)


def _outs(logits=LOGITS, deltas=DELTAS):
    cls = logits.reshape(2, 2, 4).permute(2, 0, 1)[None].clone().requires_grad_(True)  # (1, A*C, H, W)
    reg = deltas.reshape(2, 2, 8).permute(2, 0, 1)[None].clone()
    return cls, reg


def _flat_grad(cls):
    return cls.grad.permute(0, 2, 3, 1).reshape(8, 2)


def test_dc_keeps_the_loss_and_rescales_positive_gradients_by_hand():
    sig = lambda x: 1 / (1 + math.exp(-x))  # noqa: E731
    lam = torch.tensor([1 / sig(0.05), 1 / sig(0.0025)])         # anchors 6, 7
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
    assert lam_n[1] > lam_n[0]  # the better-localised positive pulls harder


def test_no_weighters_equals_stock_retina_head():
    a, b = _retina(cls=RetinaHead), _retina()
    cls, reg = _outs()
    la = a.loss_by_feat([cls], [reg], GTS, METAS)
    lb = b.loss_by_feat([cls], [reg], GTS, METAS)
    for k in la:
        torch.testing.assert_close(la[k][0], lb[k][0], rtol=0, atol=0)


def test_iac_assigner_gets_the_heads_probabilities(monkeypatch):
    seen = []
    orig = IoUClsAwareAssigner.assign

    def spy(self, pred_instances, *args, **kw):
        seen.append(pred_instances.get('scores'))
        return orig(self, pred_instances, *args, **kw)

    monkeypatch.setattr(IoUClsAwareAssigner, 'assign', spy)
    head = _retina(assigner=dict(type='IoUClsAwareAssigner'))
    cls, reg = _outs()
    head.loss_by_feat([cls], [reg], GTS, METAS)
    torch.testing.assert_close(seen[0], LOGITS.sigmoid())  # anchor order, detached
    assert not seen[0].requires_grad


def test_iac_recovers_a_contained_anchor_through_the_head():
    # Anchor 3 ([0,-16,32,16]) covers half of GT2 ([0,0,32,32]): IoU 1/3, so
    # MaxIoU makes it negative; containment 1/2; with class-1 probability
    # 0.99 its score is 0.75 * 0.99 + 0.25 * 0.5 = 0.87 >= 0.5: positive.
    # Every other anchor predicts probability 0.018 (anchors 2 and 5 also hold
    # half of GT2 and would be recovered too with a probability >= 0.5).
    logits = torch.full((8, 2), -4.0)
    logits[3, 1] = math.log(0.99 / 0.01)
    n_pos = []
    for assigner in (None, dict(type='IoUClsAwareAssigner')):
        head = _retina(assigner=assigner)
        cls, reg = _outs(logits)
        head.loss_by_feat([cls], [reg], GTS, METAS)
        res = head._raw_positive_infos['sampling_results'][0]
        n_pos.append(sorted(res.pos_inds.tolist()))
    assert n_pos == [[6, 7], [3, 6, 7]]


def test_atss_head_takes_dc_by_config():
    kw = dict(num_classes=2, in_channels=1, feat_channels=1, stacked_convs=0, anchor_generator=dict(
        type='AnchorGenerator', ratios=[1.0], octave_base_scale=1, scales_per_octave=1,
        strides=[16]), bbox_coder=CODER,
        train_cfg=ConfigDict(assigner=dict(type='ATSSAssigner', topk=4), allowed_border=-1,
                             pos_weight=-1, debug=False, sampler=dict(type='PseudoSampler')))
    stock, dc = ATSSHead(**kw), BoxWeightedATSSHead(loss_weighters=dict(cls=[dict(type='DCWeighter')]), **kw)
    dc.load_state_dict(stock.state_dict())
    torch.manual_seed(3)
    cls = torch.randn(1, 2, 2, 2, requires_grad=True)
    reg = torch.randn(1, 4, 2, 2) * 0.1
    ctr = torch.randn(1, 1, 2, 2)
    gts = [InstanceData(bboxes=torch.tensor([[4., 4., 20., 22.]]), labels=torch.tensor([1]))]
    ls = stock.loss_by_feat([cls], [reg], [ctr], gts, METAS)
    ld = dc.loss_by_feat([cls], [reg], [ctr], gts, METAS)
    torch.testing.assert_close(ld['loss_cls'][0], ls['loss_cls'][0])
    torch.testing.assert_close(ld['loss_bbox'][0], ls['loss_bbox'][0])
    with pytest.raises(ValueError, match="ignores per-box weights of term"):
        BoxWeightedATSSHead(loss_weighters=dict(reg=[dict(type='PLBWeighter')]), **kw)
