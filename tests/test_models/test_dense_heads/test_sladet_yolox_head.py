"""SLADetYOLOXHead: region masks, LR normaliser, pseudo-label filter, entropy,
triplet values, PL targets by hand, no-GT / one-GT cases, detached pseudo
labels, and exact equality with mmdet's YOLOXHead when every term is off.

Hand-made layout for the loss_by_feat cases: one level, stride 8, a 64 x 64
image, an 8 x 8 map (prior ``i * 8 + j`` at corner (8j, 8i), centre
(8j + 4, 8i + 4)); labelled region = the left half ``[0, 0, 32, 64]`` (columns
0-3 inside). Default outputs: class and objectness logits -6, box deltas 0
(an 8 x 8 box centred on the prior's corner).
"""
import math

import numpy as np
import pytest
import torch
from mmengine.config import Config, ConfigDict
from mmengine.structures import InstanceData

from mmdet.models.dense_heads import YOLOXHead
from mmdet.registry import MODELS
from mmdet.structures import DetDataSample
from plb_mm.models import SLADetYOLOXHead
from plb_mm.models.dense_heads.sladet_yolox_head import (SLADET_THRESHOLDS, class_entropy,
                                                         labeled_region_mask,
                                                         select_outside_predictions,
                                                         triplet_similarity_loss)

from ...conftest import REPO

TRAIN_CFG = ConfigDict(assigner=dict(type='SimOTAAssigner', center_radius=2.5))
LEFT_HALF = np.array([[0, 0, 32, 64]], np.float32)
# softplus(-6) = BCE(logit 6, target 1) = BCE(-6, 0); torch's float32 BCE computes
# log(1 + e^-6) to ~5e-5 relative, hence rel=1e-4 below
SP6 = math.log1p(math.exp(-6))


def _head(strides=(8,), **kw):
    return SLADetYOLOXHead(num_classes=2, in_channels=2, feat_channels=2, stacked_convs=1,
                           strides=strides, train_cfg=TRAIN_CFG, **kw)


def _meta(regions=LEFT_HALF, size=64):
    meta = dict(img_shape=(size, size), pad_shape=(size, size))
    if regions is not None:
        meta['labeled_regions'] = regions
    return meta


def _outputs(cells, size=8):
    """Head outputs for one image; ``cells``: {(i, j): (cls logits, obj logit, deltas)}."""
    cls = torch.full((1, 2, size, size), -6.)
    obj = torch.full((1, 1, size, size), -6.)
    reg = torch.zeros(1, 4, size, size)
    for (i, j), (c, o, d) in cells.items():
        cls[0, :, i, j] = torch.tensor(c)
        obj[0, 0, i, j] = o
        reg[0, :, i, j] = torch.tensor(d)
    return [cls.requires_grad_()], [reg.requires_grad_()], [obj.requires_grad_()]


L2 = math.log(2.)
# prior (2, 5): box [32, 8, 48, 24] (centre x 40 is outside), conf sigmoid(6)^2 = 0.995
PSEUDO_A = {(2, 5): ((6., -6.), 6., (0., 0., L2, L2))}
# prior (6, 6): box [40, 40, 56, 56], conf sigmoid(1.5) sigmoid(6) = 0.8156: a triplet candidate
TRIPLET_B = {(6, 6): ((1.5, -6.), 6., (0., 0., L2, L2))}
GT0 = ([4., 20., 20., 36.], 0)  # inside the region, class 0
GT1 = ([4., 44., 20., 60.], 1)  # inside the region, class 1


def _gts(*gts):
    if not gts:
        return [InstanceData(bboxes=torch.zeros(0, 4), labels=torch.zeros(0, dtype=torch.long))]
    return [InstanceData(bboxes=torch.tensor([b for b, _ in gts]),
                         labels=torch.tensor([c for _, c in gts]))]


# ----------------------------------------------------------------- region mask
def test_region_mask_is_half_open():
    pts = torch.tensor([[8., 4.], [7.99, 4.], [12., 4.], [16., 4.], [12., 0.], [12., 8.]])
    regions = torch.tensor([[8., 0., 16., 8.]])
    # x1 edge in, just left of it out, middle in, x2 edge out, y1 edge in, y2 edge out
    assert labeled_region_mask(pts, regions).tolist() == [True, False, True, False, True, False]
    assert labeled_region_mask(pts, None).all()  # no regions given: the whole image
    assert not labeled_region_mask(pts, torch.zeros(0, 4)).any()  # nothing labelled
    two = torch.tensor([[8., 0., 9., 8.], [15., 0., 17., 8.]])  # a union
    assert labeled_region_mask(pts, two).tolist() == [True, False, False, True, False, False]


def test_prior_centres_are_cell_centres():
    # 4 x 4 map at stride 8: centres 4, 12, 20, 28. [4, 4, 12, 12] holds (4, 4) on its
    # x1/y1 edges; (12, 4) and (4, 12) lie on its x2 / y2 edges: out.
    head = _head()
    priors = head.prior_generator.grid_priors([(4, 4)], device='cpu', with_stride=True)[0]
    centres = head.prior_centres(priors)
    assert centres[:5].tolist() == [[4., 4.], [12., 4.], [20., 4.], [28., 4.], [4., 12.]]
    inside = labeled_region_mask(centres, torch.tensor([[4., 4., 12., 12.]]))
    assert inside.nonzero().flatten().tolist() == [0]
    inside = labeled_region_mask(centres, torch.tensor([[12.5, 0., 32., 8.], [0., 24., 5., 32.]]))
    assert inside.nonzero().flatten().tolist() == [2, 3, 12]


# ------------------------------------------------------------------ LR objectness
def _lr_case(**kw):
    """No GT, 4 x 4 map (32 px image), region [8, 8, 24, 24] holds priors 5, 6, 9, 10.
    Objectness logits: 0 inside except ln 3 at prior 5; 5 outside."""
    head = _head(**kw)
    obj = torch.full((1, 1, 4, 4), 5.)
    obj[0, 0, 1:3, 1:3] = 0.
    obj[0, 0, 1, 1] = math.log(3.)
    obj.requires_grad_()
    out = head.loss_by_feat([torch.zeros(1, 2, 4, 4)], [torch.zeros(1, 4, 4, 4)], [obj], _gts(),
                            [_meta(np.array([[8, 8, 24, 24]], np.float32), size=32)])
    return out, obj


def test_lr_objectness_is_the_mean_over_the_priors_inside():
    out, obj = _lr_case()
    # BCE(0, 0) = ln 2 (three priors), BCE(ln 3, 0) = ln 4 = 2 ln 2; divided by 4 priors
    assert out['loss_obj'].item() == pytest.approx(5 * L2 / 4, rel=1e-6)
    out['loss_obj'].backward()
    grad = obj.grad[0, 0]
    assert grad[1, 1].item() == pytest.approx(0.75 / 4, rel=1e-6)  # sigmoid(ln 3) / 4
    assert grad[1, 2].item() == pytest.approx(0.5 / 4, rel=1e-6)
    outside = torch.ones(4, 4, dtype=torch.bool)
    outside[1:3, 1:3] = False
    assert (grad[outside] == 0).all()  # not penalised outside the regions


def test_lr_normalisers():
    # YOLOX's normaliser: the number of positives (none here: 1)
    out, _ = _lr_case(obj_avg_factor='num_pos')
    assert out['loss_obj'].item() == pytest.approx(5 * L2, rel=1e-6)
    # LR off: YOLOX's objectness over all 16 priors / max(num_pos, 1)
    out, _ = _lr_case(lr_loss=False)
    assert out['loss_obj'].item() == pytest.approx(5 * L2 + 12 * math.log1p(math.exp(5)),
                                                   rel=1e-6)


def test_lr_count_runs_over_the_batch():
    # image 1: 4 priors inside; image 2 (0, 4): none; image 3 (no key): all 16
    head = _head()
    obj = torch.zeros(3, 1, 4, 4)
    obj[1] = 7.  # never counted: nothing labelled
    metas = [_meta(np.array([[8, 8, 24, 24]], np.float32), 32),
             _meta(np.zeros((0, 4), np.float32), 32), _meta(None, 32)]
    out = head.loss_by_feat([torch.zeros(3, 2, 4, 4)], [torch.zeros(3, 4, 4, 4)], [obj],
                            _gts() * 3, metas)
    assert out['loss_obj'].item() == pytest.approx(L2, rel=1e-6)  # 20 ln 2 / 20


# ------------------------------------------------------- entropy and PL filter
def test_entropy_in_bits_of_the_normalised_class_probabilities():
    h = class_entropy(torch.tensor([[0.6, 0.2], [0.5, 0.5], [0.3, 0.0], [0.1, 0.1]]))
    # (0.75, 0.25): -(0.75 log2 0.75 + 0.25 log2 0.25) = 0.811278; uniform: 1 bit; one-hot: 0
    assert h.tolist() == pytest.approx([0.8112781, 1., 0., 1.], rel=1e-6)
    assert class_entropy(torch.full((1, 4), 0.3)).item() == pytest.approx(2., rel=1e-6)


def _pool():
    """Candidates (box, class sigmoids, objectness sigmoid); min_area 50; region
    [200, 200, 300, 300]. Each fails one condition only, except A (all pass)."""
    rows = [
        ([0, 0, 10, 10], (0.99, 0.01), 0.995),      # A: conf 0.98505, area 100, H 0.081
        ([20, 0, 30, 10], (0.99, 0.01), 0.90),      # B: conf 0.891 <= t1 (a triplet one)
        ([40, 0, 45, 5], (0.99, 0.01), 0.99),       # C: area 25
        ([60, 0, 70, 10], (0.99, 0.20), 0.985),     # D: H(0.832, 0.168) = 0.653 bits
        ([1, 1, 11, 11], (0.99, 0.01), 0.98),       # E: IoU 0.681 with A, lower conf: NMS
        ([210, 210, 220, 220], (0.99, 0.01), 0.99),  # F: centre inside the region
        ([100, 0, 107, 7], (0.99, 0.01), 0.999),    # G: area 49, suppresses H
        ([100, 0, 108, 8], (0.99, 0.01), 0.99),     # H: passes alone, IoU 0.766 with G
        ([80, 0, 90, 10], (0.50, 0.01), 0.90),      # conf 0.45 < t0: not even a candidate
    ]
    boxes = torch.tensor([r[0] for r in rows], dtype=torch.float)
    cls = torch.tensor([r[1] for r in rows])
    obj = torch.tensor([r[2] for r in rows])
    return boxes, cls, obj


def test_pseudo_label_filter_each_condition_alone():
    head = _head(pseudo_label=dict(min_area=50.), triplet=dict())
    boxes, cls, obj = _pool()
    cand = select_outside_predictions(boxes, cls, obj, torch.tensor([[200., 200., 300., 300.]]),
                                      score_thr=0.70, nms_iou=0.65)
    # NMS removed E (by A) and H (by G); F is inside; the last is below t0
    assert sorted(cand.bboxes[:, 0].tolist()) == [0., 20., 40., 60., 100.]
    assert cand.scores.tolist() == sorted(cand.scores.tolist(), reverse=True)
    pseudo = cand[head.pseudo_label_mask(cand)]
    assert pseudo.bboxes.tolist() == [[0., 0., 10., 10.]]  # only A: B conf, C area, D entropy
    assert pseudo.labels.tolist() == [0]
    assert pseudo.entropy.item() == pytest.approx(0.0807931, rel=1e-5)
    triplet = cand[head.triplet_mask(cand)]
    assert triplet.bboxes.tolist() == [[20., 0., 30., 10.]]  # B: 0.70 < 0.891 <= 0.95
    # H would pass every filter alone: NMS runs first, so G (too small) takes it out
    alone = select_outside_predictions(boxes[7:8], cls[7:8], obj[7:8], None, 0.7, 0.65)
    assert len(alone) == 0  # ... and with no regions given, nothing lies outside
    alone = select_outside_predictions(boxes[7:8], cls[7:8], obj[7:8], torch.zeros(0, 4),
                                       0.7, 0.65)
    assert head.pseudo_label_mask(alone).tolist() == [True]


def test_authors_code_preset_has_no_entropy_filter():
    head = _head(pseudo_label=dict(min_area=50.), thresholds='authors_code')
    assert head.thresholds == SLADET_THRESHOLDS['authors_code']
    boxes, cls, obj = _pool()
    cand = select_outside_predictions(boxes, cls, obj, torch.zeros(0, 4), 0.60, 0.20)
    # no regions this time: A, D (no entropy filter) and F; C and G too small, B below t1
    assert sorted(cand[head.pseudo_label_mask(cand)].bboxes[:, 0].tolist()) == [0., 60., 210.]
    assert _head(thresholds=dict(preset='paper', t2=None)).thresholds['t2'] is None
    with pytest.raises(ValueError, match='min_area'):
        _head(pseudo_label=dict())
    with pytest.raises(ValueError, match='t0 < t1'):
        _head(thresholds=dict(t0=0.9, t1=0.8, nms_iou=0.5))


# ------------------------------------------------------------------- triplet
def test_triplet_value_both_signs_on_two_features():
    f = torch.tensor([[1., 0.]], requires_grad=True)
    same_near = torch.tensor([[1., 1.], [0., 1.]])   # label 0: cos 0.7071; label 1: cos 0
    loss, n = triplet_similarity_loss(f, torch.tensor([0]), same_near, torch.tensor([0, 1]))
    assert (loss.item(), n) == (0., 1)                                 # max(0, 0 - 0.7071 + 0.05)
    loss, _ = triplet_similarity_loss(f, torch.tensor([0]), same_near, torch.tensor([0, 1]),
                                      sign='paper')
    assert loss.item() == pytest.approx(math.sqrt(0.5) - 0.05, rel=1e-6)  # 0.7071 - (0 + 0.05)
    loss, _ = triplet_similarity_loss(f, torch.tensor([1]), same_near, torch.tensor([0, 1]))
    assert loss.item() == pytest.approx(math.sqrt(0.5) + 0.05, rel=1e-6)  # 0.7071 - 0 + 0.05
    loss.backward()  # pulls f towards its class's GT (0, 1): d/df_y = -1
    assert f.grad[0, 1].item() == pytest.approx(-1. + math.sqrt(0.5), rel=1e-5)
    # min over the same class, max over the others; a prediction without a GT of another
    # class has no triplet
    gts = torch.tensor([[1., 0.], [0., 1.], [1., 1.]])
    loss, n = triplet_similarity_loss(torch.tensor([[1., 0.], [1., 0.]]), torch.tensor([0, 2]),
                                      gts, torch.tensor([0, 0, 1]))
    assert (loss.item(), n) == (pytest.approx(0.0 - 0.0 + 0.05 + math.sqrt(0.5) - 0.0), 1)
    loss, n = triplet_similarity_loss(torch.zeros(0, 2), torch.zeros(0, dtype=torch.long),
                                      gts, torch.tensor([0, 0, 1]))
    assert (loss.item(), n) == (0., 0)


def _triplet_feats():
    """Stride-8 features, constant over each RoI's RoIAlign samples: GT0 (1, 0),
    GT1 (1, 1), candidate B (0, 1)."""
    x = torch.zeros(1, 2, 8, 8)
    x[0, :, 2:5, 0:3] = torch.tensor([1., 0.])[:, None, None]
    x[0, :, 5:8, 0:3] = torch.tensor([1., 1.])[:, None, None]
    x[0, :, 4:8, 4:8] = torch.tensor([0., 1.])[:, None, None]
    return (x.requires_grad_(),)


@pytest.mark.parametrize('sign,value', [('standard', math.sqrt(0.5) + 0.05), ('paper', 0.)])
def test_triplet_term_through_the_head(sign, value):
    head = _head(triplet=dict(sign=sign))
    feats = _triplet_feats()
    out = head.loss_by_feat(*_outputs({**PSEUDO_A, **TRIPLET_B}), _gts(GT0, GT1), [_meta()],
                            feats=feats)
    # B (label 0): cos with GT0 (label 0) 0, with GT1 (label 1) 0.7071; A is no candidate
    assert out['loss_triplet'].item() == pytest.approx(0.1 * value, rel=1e-5)
    assert out['num_triplet'].item() == 1
    out['loss_triplet'].backward()
    assert (feats[0].grad.abs().sum() > 0) == (value > 0)
    # switched off (TripletSwitchHook): zero, nothing computed
    head.use_triplet = False
    out = head.loss_by_feat(*_outputs({**PSEUDO_A, **TRIPLET_B}), _gts(GT0, GT1), [_meta()],
                            feats=feats)
    assert out['loss_triplet'].item() == 0 and out['num_triplet'].item() == 0


# ------------------------------------------------------------------------ PL
def test_pseudo_label_targets_by_hand():
    """Pseudo box A [32, 8, 48, 24] (centre (40, 16)): near priors = centre in the box or
    within 2.5 x 8 = 20 px of its centre, and eligible (outside the region): columns 4-6
    (centres 36, 44, 52) x rows 0-3 (4 ... 28) = 12 priors. SimOTA's dynamic k: IoUs of the
    near priors' boxes with A are 1 (prior (2, 5)), 4 x 0.111, 4 x 0.053, 0: k = 1."""
    head = _head(pseudo_label=dict(min_area=50.))
    out = head.loss_by_feat(*_outputs(PSEUDO_A), _gts(GT0), [_meta()])
    assert out['num_pseudo'].item() == 1
    # objectness: BCE(6, 1) at the positive, BCE(-6, 0) at the 11 others; / 12, gain 0.1
    assert out['loss_pl_obj'].item() == pytest.approx(0.1 * 12 * SP6 / 12, rel=1e-4)
    # class target one-hot(0) x IoU 1: BCE(6, 1) + BCE(-6, 0), one positive
    assert out['loss_pl_cls'].item() == pytest.approx(0.1 * 2 * SP6, rel=1e-4)
    assert out['loss_pl_bbox'].item() == pytest.approx(0., abs=1e-7)  # 1 - IoU^2, IoU 1
    # YOLOX's normaliser: / 1 positive instead of / 12 near priors
    head = _head(pseudo_label=dict(min_area=50.), obj_avg_factor='num_pos')
    out = head.loss_by_feat(*_outputs(PSEUDO_A), _gts(GT0), [_meta()])
    assert out['loss_pl_obj'].item() == pytest.approx(0.1 * 12 * SP6, rel=1e-4)


def test_pseudo_labels_carry_no_gradient():
    """The source prior (0, 4) (centre (36, 4)) predicts a box [40, 32, 56, 48] far from
    itself: it is not near its own pseudo box, so every PL gradient on it would have to
    come through the pseudo label."""
    head = _head(pseudo_label=dict(min_area=50.))
    (cls, ), (reg, ), (obj, ) = _outputs({(0, 4): ((6., -6.), 6., (2., 5., L2, L2))})
    out = head.loss_by_feat([cls], [reg], [obj], _gts(), [_meta()])
    assert out['num_pseudo'].item() == 1
    (out['loss_pl_obj'] + out['loss_pl_cls'] + out['loss_pl_bbox']).backward()
    for t in (cls, reg, obj):
        assert (t.grad[0, :, 0, 4] == 0).all()
    assert reg.grad.abs().sum() > 0  # the pseudo box's positives are trained
    sel = select_outside_predictions(reg[0].detach().reshape(4, -1).t() + 100, cls[0].reshape(
        2, -1).t().sigmoid(), obj[0].reshape(-1).sigmoid(), torch.zeros(0, 4), 0.5, 0.65)
    assert not any(v.requires_grad for v in (sel.bboxes, sel.scores, sel.entropy))


# ------------------------------------------------------------- no GT, one GT
@pytest.mark.parametrize('gts', [(), (GT0,)], ids=['no_gt', 'one_gt'])
def test_all_terms_on_no_gt_and_one_gt(gts):
    head = _head(pseudo_label=dict(min_area=50.), triplet=dict())
    feats = _triplet_feats()
    outs = _outputs({**PSEUDO_A, **TRIPLET_B})
    out = head.loss_by_feat(*outs, _gts(*gts), [_meta()], feats=feats)
    assert all(torch.isfinite(v) for v in out.values())
    if gts:
        assert out['loss_cls'] > 0 and out['loss_bbox'] > 0
    else:
        assert out['loss_cls'] == 0 and out['loss_bbox'] == 0
    assert out['loss_obj'] > 0
    # the pseudo label does not depend on the GT (its priors are outside the region)
    assert out['loss_pl_obj'].item() == pytest.approx(0.1 * SP6, rel=1e-4)
    # no GT of another class in the batch: no triplet
    assert out['loss_triplet'] == 0 and out['num_triplet'] == 0
    sum(v for k, v in out.items() if 'loss' in k).backward()
    assert all(torch.isfinite(t.grad).all() for t in outs[0] + outs[1] + outs[2])


def test_nothing_labelled_and_whole_image():
    head = _head(pseudo_label=dict(min_area=50.), triplet=dict())
    # whole image labelled (no key): nothing is outside, no PL, no triplet candidates
    out = head.loss_by_feat(*_outputs({**PSEUDO_A, **TRIPLET_B}), _gts(GT0, GT1),
                            [_meta(None)], feats=_triplet_feats())
    assert out['num_pseudo'] == 0 and out['loss_pl_obj'] == 0 and out['num_triplet'] == 0
    # nothing labelled: no LR objectness at all, PL everywhere
    out = head.loss_by_feat(*_outputs(PSEUDO_A), _gts(), [_meta(np.zeros((0, 4), np.float32))],
                            feats=_triplet_feats())
    assert out['loss_obj'] == 0 and out['num_pseudo'] == 1


# ---------------------------------------------------------------- equality
def _samples(regions):
    samples = []
    for i in range(2):
        meta = dict(img_shape=(64, 64), ori_shape=(64, 64), pad_shape=(64, 64),
                    batch_input_shape=(64, 64), scale_factor=(1., 1.))
        if regions:
            meta['labeled_regions'] = LEFT_HALF
        s = DetDataSample(metainfo=meta)
        s.gt_instances = InstanceData(
            bboxes=torch.tensor([[4., 20., 20., 36.], [30., 6., 60., 50.]])[:2 - i],
            labels=torch.tensor([0, 1])[:2 - i])
        samples.append(s)
    return samples


@pytest.mark.parametrize('regions', [False, True], ids=['no_regions', 'regions_unused'])
@pytest.mark.parametrize('use_l1', [False, True])
def test_all_terms_off_equals_yolox_head(regions, use_l1):
    kw = dict(num_classes=2, in_channels=4, feat_channels=4, stacked_convs=1,
              strides=(8, 16, 32), train_cfg=TRAIN_CFG)
    torch.manual_seed(0)
    ref = YOLOXHead(**kw)
    head = SLADetYOLOXHead(lr_loss=False, pseudo_label=None, triplet=None, **kw)
    head.load_state_dict(ref.state_dict())
    ref.use_l1 = head.use_l1 = use_l1
    grads, losses = [], []
    for h in (ref, head):
        torch.manual_seed(1)
        x = tuple(torch.randn(2, 4, 64 // s, 64 // s, requires_grad=True) for s in (8, 16, 32))
        out = h.loss(x, _samples(regions))
        sum(out.values()).backward()
        losses.append(out)
        grads.append([t.grad for t in x])
    assert losses[0].keys() == losses[1].keys()
    for k in losses[0]:
        torch.testing.assert_close(losses[1][k], losses[0][k], rtol=0, atol=0)
    for a, b in zip(*grads):
        torch.testing.assert_close(b, a, rtol=0, atol=0)


# ------------------------------------------------------------ model configs
@pytest.mark.parametrize('name', ['yolox_tiny_sladet'])
def test_model_config_loss_and_predict(name):
    from mmdet.utils import register_all_modules
    register_all_modules()
    cfg = Config.fromfile(str(REPO / f'configs/_base_/models/{name}.py'))
    cfg.model.bbox_head.update(num_classes=2, pseudo_label=dict(min_area=50.), triplet=dict())
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    samples = _samples(regions=True)
    inputs = [torch.randint(0, 255, (3, 64, 64), dtype=torch.uint8) for _ in samples]
    model.train()
    data = model.data_preprocessor(dict(inputs=inputs, data_samples=samples), True)
    losses = model(**data, mode='loss')
    assert {'loss_obj', 'loss_pl_obj', 'loss_triplet'} <= set(losses)
    total = sum(v for k, v in losses.items() if 'loss' in k)
    assert torch.isfinite(total)
    total.backward()
    model.eval()
    with torch.no_grad():
        results = model(**model.data_preprocessor(dict(inputs=inputs, data_samples=samples)),
                        mode='predict')
    assert len(results) == 2 and results[0].pred_instances.bboxes.shape[1] == 4


def test_paper_sized_config_matches_yolox_x():
    cfg = Config.fromfile(str(REPO / 'configs/_base_/models/yolox_x_sladet.py'))
    assert cfg.model.bbox_head.type == 'SLADetYOLOXHead'
    assert (cfg.model.backbone.deepen_factor, cfg.model.backbone.widen_factor) == (1.33, 1.25)
    assert cfg.model.neck.in_channels == [320, 640, 1280]
    assert cfg.model.bbox_head.in_channels == cfg.model.neck.out_channels == 320
