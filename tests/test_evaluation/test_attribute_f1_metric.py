"""AttributeF1Metric by hand.

Classes ('blast', 'lymph', 'rbc'); 3 attributes (chromatin, shape, vacuoles);
boxes 10 x 10, continuous coordinates. A box moved s px sideways overlaps its
original by IoU (10 - s) * 10 / (200 - (10 - s) * 10): s = 2 -> 80 / 120 = .667,
s = 3 -> 70 / 130 = .538, s = 4 -> 60 / 140 = .429 (< .5).

    img 1  G1 blast [0,0]  gt 1 0 1      d1 .90 blast on G1          p .8 .6 .7 -> 1 1 1
           G2 blast [20,0] gt 1 1 -1     d2 .80 blast G1 moved 2px   p .1 .1 .1  (G1 taken: none)
           G3 lymph [40,0] gt 0 0 0      d3 .70 lymph G2 moved 2px   p .9 .2 .9 -> 1 0 1 (type
                                                                     wrong, still takes G2)
           G4 rbc   [60,0] gt -1 -1 -1   d4 .60 lymph on G3          p .6 .4 .5 -> 1 0 1
                                                                     (.5 >= attr_thr)
           G5 lymph [80,0] gt 0 1 -1     d5 .95 rbc   on G4          p .9 .9 .9  (nothing known)
                                         d6 .85 lymph G5 moved 4px   p 0 1 0  (IoU .429: none)
                                         d7 .20 lymph on G5          p 0 1 0  (< score_thr .3)
    img 2  G6 blast [0,0]  gt 0 1 1      d8 .90 blast on G6          p .7 .9 .2 -> 1 1 0
           G7 blast [30,0] gt 1 -1 0     d9 .50 blast G7 moved 3px   p .9 .9 .9 -> 1 1 1 (IoU .54)
                                         d10 .99 blast on nothing    p 1 1 1  (unmatched)
    img 3  no GT                         d11 .90 blast               (unmatched)
    img 4  G8 lymph [0,0]  gt 0 0 1      no detection

Matched (GT <- detection): G1 <- d1, G2 <- d3, G3 <- d4, G4 <- d5, G6 <- d8, G7 <- d9.
Cells with a known attribute: G1 G2 G3 G5 G6 G7 G8 = 7, matched 5: coverage 5/7
(blast 4/4, lymph 1/3 (G3 of G3 G5 G8), rbc none: nan).

all matched   gt / pred per cell G1 G2 G3 G6 G7          TP FP FN  F1
  chromatin   1/1 1/1 0/1 0/1 1/1                        3  2  0   6/8 = .75
  shape       0/1 1/0 0/0 1/1 -/1                        1  1  1   2/4 = .5
  vacuoles    1/1 -/1 0/1 1/0 0/1                        1  2  1   2/5 = .4
  macro (.75 + .5 + .4) / 3 = .55
  (were unknown counted as 0: shape FP 2 -> 2/5, vacuoles FP 3 -> 2/6)
blast (G1 G2 G6 G7)
  chromatin   1/1 1/1 0/1 1/1                            3  1  0   6/7
  shape       0/1 1/0 1/1 -/1                            1  1  1   .5
  vacuoles    1/1 -/1 1/0 0/1                            1  1  1   .5
  macro (6/7 + 1) / 3 = 13/21
lymph (G3)    chromatin 0/1 FP -> 0; shape 0/0 -> nan (no positive anywhere);
              vacuoles 0/1 FP -> 0; macro 0
rbc           no scorable cell: all nan
chance (every attribute predicted present, same matched cells):
  all    chromatin 3 of 5 positive: 6/8; shape 2 of 4: 4/6; vacuoles 2 of 4: 4/6
         macro (3/4 + 2/3 + 2/3) / 3 = 25/36
  blast  chromatin 3 of 4: 6/7; shape 2 of 3: 4/5; vacuoles 2 of 3: 4/5 -> 86/105
  lymph  nothing positive: 0 each -> 0
AUC (all matched cells; pairs positive x negative, ties 1/2):
  chromatin  pos .8 .9 .9 (d1 d3 d9), neg .6 .7 (d4 d8): every pair ordered -> 1
  shape      pos .2 .9 (d3 d8), neg .6 .4 (d1 d4): .9 beats both, .2 neither -> 2/4
  vacuoles   pos .7 .2 (d1 d8), neg .5 .9 (d4 d9): only .7 > .5 -> 1/4
  macro (1 + 1/2 + 1/4) / 3 = 7/12
"""
import math

import numpy as np
import pytest
import torch
from mmengine.evaluator import Evaluator
from mmengine.logging import MMLogger
from mmengine.registry import DefaultScope
from mmengine.structures import InstanceData

from mmdet.registry import METRICS
from mmdet.structures import DetDataSample
from plb_mm.datasets.converters import LEUKEMIA_ATTRIBUTES
from plb_mm.evaluation.metrics import AttributeF1Metric
from plb_mm.evaluation.metrics.attribute_f1_metric import binary_auc, format_table, match_cells

CLASSES = ('blast', 'lymph', 'rbc')
NAMES = ('chromatin', 'shape', 'vacuoles')
BLAST, LYMPH, RBC = range(3)


def box(x, y=0):
    return [x, y, x + 10, y + 10]


GTS = {  # image: [(box, label, attributes)]
    1: [(box(0), BLAST, [1, 0, 1]), (box(20), BLAST, [1, 1, -1]), (box(40), LYMPH, [0, 0, 0]),
        (box(60), RBC, [-1, -1, -1]), (box(80), LYMPH, [0, 1, -1])],
    2: [(box(0), BLAST, [0, 1, 1]), (box(30), BLAST, [1, -1, 0])],
    3: [],
    4: [(box(0), LYMPH, [0, 0, 1])],
}
DETS = {  # image: [(box, score, label, attribute probabilities)]
    1: [(box(0), .9, BLAST, [.8, .6, .7]), (box(2), .8, BLAST, [.1, .1, .1]),
        (box(22), .7, LYMPH, [.9, .2, .9]), (box(40), .6, LYMPH, [.6, .4, .5]),
        (box(60), .95, RBC, [.9, .9, .9]), (box(84), .85, LYMPH, [0, 1, 0]),
        (box(80), .2, LYMPH, [0, 1, 0])],
    2: [(box(0), .9, BLAST, [.7, .9, .2]), (box(33), .5, BLAST, [.9, .9, .9]),
        (box(100, 100), .99, BLAST, [1, 1, 1])],
    3: [(box(0), .9, BLAST, [1, 1, 1])],
    4: [],
}


def _instances(rows, cols):
    """InstanceData fields from rows of (box, ..., attributes)."""
    out = dict(bboxes=torch.tensor([r[0] for r in rows], dtype=torch.float32).reshape(-1, 4))
    for name, i, dtype in cols:
        out[name] = torch.tensor([r[i] for r in rows], dtype=dtype)
    return out


def _samples(dets=None, gts=None):
    dets, gts = dets or DETS, gts or GTS
    out = []
    for img in gts:
        gt = _instances(gts[img], [('labels', 1, torch.long), ('attributes', 2, torch.long)])
        gt['attributes'] = gt['attributes'].reshape(-1, len(NAMES))
        pred = _instances(dets[img], [('scores', 1, torch.float32), ('labels', 2, torch.long),
                                      ('attributes', 3, torch.float32)])
        pred['attributes'] = pred['attributes'].reshape(-1, len(NAMES))
        out.append(dict(img_id=img, gt_instances=gt, pred_instances=pred))
    return out


def _evaluate(samples=None, classes=CLASSES, **kwargs):
    metric = AttributeF1Metric(attribute_names=NAMES, **kwargs)
    metric.dataset_meta = dict(classes=classes)
    samples = _samples() if samples is None else samples
    metric.process({}, samples)
    return metric.evaluate(len(samples))


def _assert_metrics(m, expected):
    for key, value in expected.items():
        if isinstance(value, float) and math.isnan(value):
            assert math.isnan(m[key]), key
        else:
            assert m[key] == pytest.approx(value, abs=1e-9), key


def test_hand_worked():
    m = _evaluate()
    nan = float('nan')
    _assert_metrics(m, {
        'attr/chromatin_F1': .75, 'attr/shape_F1': .5, 'attr/vacuoles_F1': .4,
        'attr/macro_F1': .55, 'attr/coverage': 5 / 7,
        'attr/blast/chromatin_F1': 6 / 7, 'attr/blast/shape_F1': .5,
        'attr/blast/vacuoles_F1': .5, 'attr/blast/macro_F1': 13 / 21, 'attr/blast/coverage': 1.,
        'attr/lymph/chromatin_F1': 0., 'attr/lymph/shape_F1': nan,
        'attr/lymph/vacuoles_F1': 0., 'attr/lymph/macro_F1': 0., 'attr/lymph/coverage': 1 / 3,
        'attr/rbc/chromatin_F1': nan, 'attr/rbc/shape_F1': nan, 'attr/rbc/vacuoles_F1': nan,
        'attr/rbc/macro_F1': nan, 'attr/rbc/coverage': nan,
        'attr/chance_macro_F1': 25 / 36, 'attr/blast/chance_macro_F1': 86 / 105,
        'attr/lymph/chance_macro_F1': 0., 'attr/rbc/chance_macro_F1': nan,
        'attr/chromatin_AUC': 1., 'attr/shape_AUC': .5, 'attr/vacuoles_AUC': .25,
        'attr/macro_AUC': 7 / 12})
    assert len(m) == 4 * (len(NAMES) + 3) + len(NAMES) + 1
    assert list(m)[:6] == ['attr/chromatin_F1', 'attr/shape_F1', 'attr/vacuoles_F1',
                           'attr/macro_F1', 'attr/chance_macro_F1', 'attr/coverage']


def test_not_classwise():
    m = _evaluate(classwise=False)
    assert set(m) == {f'attr/{n}_F1' for n in NAMES} | {f'attr/{n}_AUC' for n in NAMES} | {
        'attr/macro_F1', 'attr/chance_macro_F1', 'attr/coverage', 'attr/macro_AUC'}
    assert m['attr/macro_F1'] == pytest.approx(.55)


def test_matching_rule():
    # the matches of image 1 (det index per GT): d1 -> G1, d3 -> G2 (wrong type),
    # d4 -> G3, d5 -> G4; G5 none (d6 at IoU .429, d7 below score_thr)
    sample = _samples()[0]
    gt, pred = sample['gt_instances'], sample['pred_instances']
    args = (pred['bboxes'], pred['scores'], pred['labels'], gt['bboxes'], gt['labels'])
    assert match_cells(*args, .3, .5).tolist() == [0, 2, 3, 4, -1]
    assert match_cells(*args, .3, .4).tolist() == [0, 2, 3, 4, 5]  # d6 at .429
    assert match_cells(*args, .1, .5).tolist() == [0, 2, 3, 4, 6]  # d7 at .2
    assert match_cells(*args, .3, .5, match_class=True).tolist() == [0, -1, 3, 4, -1]
    assert match_cells(*args, .96, .5).tolist() == [-1] * 5
    # empty either side
    assert match_cells(pred['bboxes'][:0], pred['scores'][:0], pred['labels'][:0],
                       gt['bboxes'], gt['labels'], .3, .5).tolist() == [-1] * 5
    assert match_cells(*args[:3], gt['bboxes'][:0], gt['labels'][:0], .3, .5).tolist() == []


def test_unmatched_at_low_iou_or_score_counts_in_coverage_only():
    # G5 (lymph, gt 0 1 -) matched by d6 (p 0 1 0) at iou_thr .4, or by d7 at score_thr .1:
    # coverage 6/7, shape TP 2 FP 1 FN 1 -> 4/6, chromatin one more TN (.75), vacuoles unknown
    for kwargs in (dict(iou_thr=.4), dict(score_thr=.1)):
        m = _evaluate(**kwargs)
        _assert_metrics(m, {'attr/coverage': 6 / 7, 'attr/shape_F1': 2 / 3,
                            'attr/chromatin_F1': .75, 'attr/vacuoles_F1': .4,
                            'attr/lymph/coverage': 2 / 3, 'attr/lymph/shape_F1': 1.})


def test_two_detections_on_one_gt_only_the_higher_scoring_one_counts():
    # swap the scores of d1 (p .8 .6 .7) and d2 (p .1 .1 .1): d2 now takes G1 and d1 finds
    # no free GT. G1 (gt 1 0 1) is predicted 0 0 0: chromatin TP 2 FP 2 FN 1 -> 4/7,
    # shape loses an FP -> TP 1 FN 1 -> 2/3, vacuoles TP 0 FP 2 FN 2 -> 0
    dets = dict(DETS)
    d1, d2 = dets[1][0], dets[1][1]
    dets[1] = [(d1[0], d2[1]) + d1[2:], (d2[0], d1[1]) + d2[2:]] + dets[1][2:]
    m = _evaluate(_samples(dets=dets))
    _assert_metrics(m, {'attr/chromatin_F1': 4 / 7, 'attr/shape_F1': 2 / 3,
                        'attr/vacuoles_F1': 0., 'attr/coverage': 5 / 7})


def test_match_class():
    # d3 (lymph) no longer takes G2 (blast): matched G1 G3 G6 G7, coverage 4/7, blast 3/4
    # chromatin 1/1 0/1 0/1 1/1 -> TP 2 FP 2 -> 2/3; shape 0/1 0/0 1/1 -/1 -> 2/3;
    # vacuoles 1/1 0/1 1/0 0/1 -> TP 1 FP 2 FN 1 -> .4
    m = _evaluate(match_class=True)
    _assert_metrics(m, {'attr/chromatin_F1': 2 / 3, 'attr/shape_F1': 2 / 3,
                        'attr/vacuoles_F1': .4, 'attr/coverage': 4 / 7,
                        'attr/blast/coverage': .75})


def test_attr_thr_is_inclusive():
    # d4's vacuoles p = .5: 1 at attr_thr .5 (G3 FP), 0 at .51 (TN): TP 1 FP 1 FN 1 -> .5;
    # no other probability lies in [.5, .51)
    assert _evaluate(attr_thr=.51)['attr/vacuoles_F1'] == pytest.approx(.5)
    assert _evaluate(attr_thr=.5)['attr/vacuoles_F1'] == pytest.approx(.4)


def test_images_without_gt_or_detections():
    only = {3: GTS[3], 4: GTS[4]}  # no GT (one detection), and one GT without detection
    m = _evaluate(_samples(gts=only))
    assert m['attr/coverage'] == 0. and m['attr/lymph/coverage'] == 0.
    assert all(math.isnan(m[f'attr/{n}_F1']) for n in NAMES) and math.isnan(m['attr/macro_F1'])
    m = _evaluate(_samples(gts={3: GTS[3]}))  # nothing scorable at all
    assert math.isnan(m['attr/coverage']) and math.isnan(m['attr/macro_F1'])
    # a sample with (0, A) attributes on both sides
    m = _evaluate(_samples(dets={3: []}, gts={3: []}))
    assert math.isnan(m['attr/coverage'])


def test_missing_or_misshapen_attributes_raise():
    no_pred = _samples()
    del no_pred[0]['pred_instances']['attributes']
    with pytest.raises(ValueError, match='the model has no attribute head'):
        _evaluate(no_pred)
    no_gt = _samples()
    del no_gt[1]['gt_instances']['attributes']
    with pytest.raises(ValueError, match="has no gt_instances.attributes.*PackSLADetInputs"):
        _evaluate(no_gt)
    wide = _samples()
    wide[0]['pred_instances']['attributes'] = torch.zeros(7, 6)
    with pytest.raises(ValueError, match=r'pred_instances.attributes .* shape \(7, 6\), '
                                         r'expected \(7, 3\)'):
        _evaluate(wide)


def test_markdown_table_is_logged(tmp_path):
    log_file = tmp_path / 'attr.log'
    MMLogger.get_instance(f'test_attr_{tmp_path.name}', log_file=str(log_file))
    _evaluate()
    text = log_file.read_text()
    assert ('| class | chromatin | shape | vacuoles | macro | chance | coverage | matched / cells |'
            in text)
    assert '| blast | 85.7 | 50.0 | 50.0 | 61.9 | 81.9 | 100.0 | 4 / 4 |' in text
    assert '| lymph | 0.0 | - | 0.0 | 0.0 | 0.0 | 33.3 | 1 / 3 |' in text
    assert '| rbc | - | - | - | - | - | - | 0 / 0 |' in text
    assert text.index('| rbc |') < text.index(
        '| all | 75.0 | 50.0 | 40.0 | 55.0 | 69.4 | 71.4 | 5 / 7 |')
    assert 'class-agnostic' in format_table([], NAMES, .3, .5, .5, False)


def test_defaults_and_registry():
    metric = METRICS.build(dict(type='AttributeF1Metric'))
    assert isinstance(metric, AttributeF1Metric)
    assert metric.attribute_names == LEUKEMIA_ATTRIBUTES
    assert (metric.score_thr, metric.iou_thr, metric.attr_thr) == (.3, .5, .5)
    assert metric.prefix == 'attr' and not metric.match_class
    with pytest.raises(ValueError, match='distinct'):
        AttributeF1Metric(attribute_names=('a', 'a'))


def test_beside_coco_metric_in_one_evaluator():
    """mmengine's Evaluator with CocoMetric (GT converted from the samples)
    and AttributeF1Metric on DetDataSamples: perfect predictions of 6 default
    attributes give bbox mAP 1 and every F1 1, under separate prefixes."""
    attrs = torch.tensor([[1, 0, 1, 0, 1, 0], [0, 1, -1, 1, 0, 1]])
    instances = [dict(bbox=box(0), bbox_label=0, ignore_flag=0),  # CocoMetric's GT
                 dict(bbox=box(30, 30), bbox_label=1, ignore_flag=0)]
    sample = DetDataSample(metainfo=dict(img_id=0, img_path='0.png', ori_shape=(64, 64),
                                         img_shape=(64, 64), instances=instances))
    sample.gt_instances = InstanceData(bboxes=torch.tensor([box(0), box(30, 30)]).float(),
                                       labels=torch.tensor([0, 1]), attributes=attrs)
    sample.pred_instances = InstanceData(bboxes=torch.tensor([box(0), box(30, 30)]).float(),
                                         scores=torch.tensor([.9, .8]),
                                         labels=torch.tensor([0, 1]),
                                         attributes=attrs.clamp(min=0).float())
    with DefaultScope.overwrite_default_scope('mmdet'):
        evaluator = Evaluator([dict(type='CocoMetric', metric='bbox', format_only=False),
                               dict(type='AttributeF1Metric')])
    evaluator.dataset_meta = dict(classes=('a', 'b'))
    evaluator.process([sample], {})
    m = evaluator.evaluate(1)
    assert m['coco/bbox_mAP'] == 1.0
    assert m['attr/macro_F1'] == 1.0 and m['attr/coverage'] == 1.0
    # cytoplasmic_basophilia: gt 1 and 0, predicted so -> F1 1
    assert m['attr/cytoplasmic_basophilia_F1'] == 1.0
    # nucleus: one known value; a/nucleus: 1 predicted 1 -> 1; b/nucleus unknown -> nan
    assert m['attr/a/nucleus_F1'] == 1.0 and math.isnan(m['attr/b/nucleus_F1'])
    assert not np.isnan([m[f'attr/{n}_F1'] for n in LEUKEMIA_ATTRIBUTES]).any()


def test_binary_auc_by_hand():
    # values .2 (rank 1), .4 .4 (ranks 2, 3 -> 2.5 each), .9 (rank 4); positives
    # .9 and .4: rank sum 6.5 - 2 * 3 / 2 = 3.5 of 2 * 2 pairs -> .875
    # (pairs: .9>.2, .9>.4, .4>.2, .4=.4 -> 1 + 1 + 1 + 1/2)
    assert binary_auc(np.array([1, 0, 1, 0]), np.array([.9, .2, .4, .4])) == .875
    assert binary_auc(np.array([1, -1, 0]), np.array([.1, .99, .9])) == 0.  # -1 ignored
    assert binary_auc(np.array([1, 0]), np.array([.5, .5])) == .5
    assert math.isnan(binary_auc(np.array([1, 1, -1]), np.array([.1, .2, .3])))
