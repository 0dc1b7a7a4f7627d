"""BenchmarkMetric by hand.

Boxes in VOC's legacy convention (sides x2 - x1 + 1): [0, 0, 9, 9] is 10 x 10.
Classes 'a', 'b', 'c' (no GT, no detection); four images:

    img 1  GT a: G1 [0,0,9,9] (100 px^2), G2 [100,100,119,119] (400)
           GT b: G3 [200,0,209,9] (100)
           d1 a .90 [0,0,19,9]       area 200, IoU(G1) 100/200 = .5
           d2 a .80 [100,100,109,109] area 100, inside G2: IoU 100/400 = .25
           d3 a .70 [0,0,9,9]        exactly G1 (IoU 1)
           w  a .65 [200,0,209,9]    exactly G3, but the wrong class
           e1 b .50 [200,0,214,9]    area 150, IoU(G3) 100/150 = 2/3
           e2 b .04 [300,300,309,309] on nothing, below score_thr .05
    img 2  GT a: G4 [0,0,19,19] (400);  d4 a .60 exactly G4 (IoU 1)
    img 3  GT b: G5 [50,50,59,59];      no detection
    img 4  no GT;                       d5 a .02 [0,0,9,9] (below score_thr)

IoU 0.21 (matching in score order, each GT once):
  a: d1 TP (G1), d2 TP (G2), d3 FP (G1 taken), w FP, d4 TP (G4), d5 FP
     precision 1 1 2/3 1/2 3/5 1/2, recall 1/3 2/3 2/3 2/3 1 1
     11-point: r = 0..0.6 -> 1 (7 points), r = 0.7..1 -> max(.6, .5) = .6
     AP_a = (7 + 4 * .6) / 11 = 9.4 / 11
  b: e1 TP (G3), e2 FP; precision 1 .5, recall .5 .5 -> AP_b = 6 / 11
  mAP = (9.4 + 6) / 22 = 0.7
  at score >= 0.05, matched: d1 (IoU .5, ratio 2), d2 (.25, .25), d4 (1, 1), e1 (2/3, 1.5)
  mean IoU = (.5 + .25 + 1 + 2/3) / 4 = 0.6041667; a: 1.75 / 3, b: 2/3
  FNR = 1 / 5 (G5); a: 0, b: 1/2
  no detection >= .05: img 3, img 4 -> 2 / 4
  ratios 2, .25, 1, 1.5: bigger 2 (50%, mean = median 1.75, min 1.5, max 2),
                         smaller 1 (25%, .25), equal 1 (25%, 1)
IoU 0.3: d2 (IoU .25) misses -> a: TP FP FP FP TP FP, precision 1 .5 1/3 1/4 2/5 1/3,
  recall 1/3 1/3 1/3 1/3 2/3 2/3: AP_a = (4 + 3 * .4) / 11 = 5.2 / 11; mAP = 11.2 / 22
  FNR = 2 / 5, mean IoU = (.5 + 1 + 2/3) / 3
IoU 0.6: d1 (IoU .5) misses, so d3 takes G1 (IoU 1, ratio 1): matched d3, d4, e1
  mean IoU = (1 + 1 + 2/3) / 3, FNR = 2 / 5, ratios: equal 2, bigger 1 (1.5)
score >= 0.7 (IoU 0.21): matched d1, d2 only: FNR 3 / 5, mean IoU .375, no detection
  on img 2, 3, 4 -> 3 / 4
"""
import csv
import math
import runpy
import sys
import uuid
from multiprocessing.pool import ThreadPool
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.logging import MessageHub
from mmengine.model import BaseModel
from mmengine.runner import Runner

from mmdet.evaluation import VOCMetric
from mmdet.evaluation.functional import mean_ap
from mmdet.evaluation.functional.mean_ap import tpfp_default
from mmdet.registry import METRICS
from plb_mm.evaluation import BenchmarkMetric, VOCRecallMetric
from plb_mm.evaluation.metrics.benchmark_metric import match_detections

G1, G2, G3 = [0, 0, 9, 9], [100, 100, 119, 119], [200, 0, 209, 9]
G4, G5 = [0, 0, 19, 19], [50, 50, 59, 59]
DETS = {  # image: [(box, score, label)]
    1: [([0, 0, 19, 9], .9, 0), ([100, 100, 109, 109], .8, 0), (G1, .7, 0), (G3, .65, 0),
        ([200, 0, 214, 9], .5, 1), ([300, 300, 309, 309], .04, 1)],
    2: [(G4, .6, 0)],
    3: [],
    4: [(G1, .02, 0)],
}
GTS = {1: ([G1, G2, G3], [0, 0, 1]), 2: ([G4], [0]), 3: ([G5], [1]), 4: ([], [])}
CLASSES = ('a', 'b', 'c')
P = 'bench/'
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _eval_map_in_threads(monkeypatch):
    """eval_map runs tpfp_default in a process pool (4 processes) for any
    data set of more than one image; on a loaded 2-core machine starting it
    takes ~0.3 s per call. The same calls in a thread pool keep the tests fast."""
    monkeypatch.setattr(mean_ap, 'Pool', ThreadPool)


def _samples():
    def boxes(b):
        return torch.tensor(b, dtype=torch.float32).reshape(-1, 4)

    return [dict(img_id=i,
                 gt_instances=dict(bboxes=boxes(GTS[i][0]),
                                   labels=torch.tensor(GTS[i][1], dtype=torch.long)),
                 pred_instances=dict(bboxes=boxes([d[0] for d in dets]),
                                     scores=torch.tensor([d[1] for d in dets]),
                                     labels=torch.tensor([d[2] for d in dets], dtype=torch.long)))
            for i, dets in DETS.items()]


def _evaluate(metric):
    metric.dataset_meta = dict(classes=CLASSES)
    empty = dict(bboxes=torch.zeros(0, 4), labels=torch.zeros(0, dtype=torch.long))
    metric.process({}, [dict(s, ignored_instances=empty) for s in _samples()])  # as VOCMetric wants
    return metric.evaluate(len(DETS))


def _read_csv(path):
    with open(path) as f:
        return list(csv.DictReader(f))


def test_hand_worked_at_iou_021(tmp_path):
    m = _evaluate(BenchmarkMetric(out_dir=str(tmp_path)))
    assert m[P + 'mAP'] == pytest.approx(0.7, abs=1e-6)
    assert m[P + 'AP_a'] == pytest.approx(9.4 / 11, abs=1e-6)
    assert m[P + 'AP_b'] == pytest.approx(6 / 11, abs=1e-6)
    assert math.isnan(m[P + 'AP_c'])
    assert m[P + 'mean_iou'] == pytest.approx((.5 + .25 + 1 + 2 / 3) / 4, abs=1e-6)
    assert m[P + 'mean_iou_a'] == pytest.approx(1.75 / 3, abs=1e-6)
    assert m[P + 'mean_iou_b'] == pytest.approx(2 / 3, abs=1e-6)
    assert m[P + 'fnr'] == pytest.approx(1 / 5) and m[P + 'fnr_a'] == 0
    assert m[P + 'fnr_b'] == 0.5 and math.isnan(m[P + 'fnr_c'])
    assert m[P + 'no_det_images'] == 0.5
    assert m[P + 'bigger_share'] == 0.5 and m[P + 'smaller_share'] == 0.25
    assert list(m)[:4] == [P + 'mAP', P + 'mean_iou', P + 'fnr', P + 'no_det_images']

    ratio = {(r['class'], r['side']): r for r in _read_csv(tmp_path / 'bench_box_ratio.csv')}
    assert [k for k in ratio][:3] == [('all', 'bigger'), ('all', 'smaller'), ('all', 'equal')]
    big, small, equal = ratio['all', 'bigger'], ratio['all', 'smaller'], ratio['all', 'equal']
    assert (big['count'], float(big['share'])) == ('2', 0.5)
    assert [float(big[k]) for k in ('mean', 'median', 'min', 'max')] == [1.75, 1.75, 1.5, 2.0]
    assert (small['count'], float(small['share']), float(small['mean']), float(small['max'])) \
        == ('1', 0.25, 0.25, 0.25)
    assert (equal['count'], float(equal['share']), float(equal['min'])) == ('1', 0.25, 1.0)
    assert float(ratio['a', 'bigger']['share']) == pytest.approx(1 / 3)
    assert float(ratio['b', 'bigger']['share']) == 1.0 and ratio['b', 'bigger']['mean'] == '1.5'
    # empty sides: count 0, share 0, no statistics; a class without matches: no share
    assert (ratio['b', 'smaller']['count'], ratio['b', 'smaller']['mean']) == ('0', '')
    assert (ratio['c', 'bigger']['count'], ratio['c', 'bigger']['share']) == ('0', '')

    per_class = {r['class']: r for r in _read_csv(tmp_path / 'bench_per_class.csv')}
    assert list(per_class) == ['a', 'b', 'c', 'all']
    assert {k: per_class['all'][k] for k in ('gts', 'dets', 'matched', 'missed')} == \
        dict(gts='5', dets='6', matched='4', missed='1')
    assert float(per_class['all']['ap']) == pytest.approx(0.7)
    assert per_class['c']['fnr'] == '' and per_class['c']['gts'] == '0'

    report = (tmp_path / 'bench_report.md').read_text()
    assert report.startswith('# Detector benchmark at IoU >= 0.21, score >= 0.05\n')
    assert '- images with no detection: 50.00% (2 of 4)' in report
    assert '| all | 5 | 6 | 4 | 1 | 20.00% | 70.00% | 60.42% |' in report
    assert '| all | Bigger | 2 | 50.00% | 1.7500 | 1.7500 | 1.5000 | 2.0000 |' in report
    assert '| b | Smaller | 0 | 0.00% | - | - | - | - |' in report


def test_iou_threshold_changes_the_matching():
    m = _evaluate(BenchmarkMetric(iou_thr=0.3, classwise=False))
    assert m[P + 'mAP'] == pytest.approx(11.2 / 22, abs=1e-6)
    assert m[P + 'fnr'] == pytest.approx(2 / 5)
    assert m[P + 'mean_iou'] == pytest.approx((.5 + 1 + 2 / 3) / 3, abs=1e-6)
    assert set(m) == {P + k for k in ('mAP', 'mean_iou', 'fnr', 'no_det_images',
                                      'bigger_share', 'smaller_share')}
    # at 0.6 d1 misses G1, and the duplicate d3 (exactly on G1) takes it
    m = _evaluate(BenchmarkMetric(iou_thr=0.6))
    assert m[P + 'mean_iou'] == pytest.approx((1 + 1 + 2 / 3) / 3, abs=1e-6)
    assert m[P + 'mean_iou_a'] == 1.0 and m[P + 'fnr'] == pytest.approx(2 / 5)
    assert m[P + 'bigger_share'] == pytest.approx(1 / 3) and m[P + 'smaller_share'] == 0


def test_score_threshold_is_the_operating_point():
    m = _evaluate(BenchmarkMetric(score_thr=0.7))
    assert m[P + 'mAP'] == pytest.approx(0.7, abs=1e-6)  # AP: the whole ranked list
    assert m[P + 'fnr'] == pytest.approx(3 / 5)
    assert m[P + 'mean_iou'] == pytest.approx(.375, abs=1e-6)
    assert m[P + 'no_det_images'] == 0.75
    assert m[P + 'bigger_share'] == 0.5 and m[P + 'smaller_share'] == 0.5
    # above every score: nothing matched, every GT missed, mean IoU 0 (the paper's 0% rows)
    m = _evaluate(BenchmarkMetric(score_thr=0.95))
    assert (m[P + 'fnr'], m[P + 'mean_iou'], m[P + 'no_det_images']) == (1.0, 0.0, 1.0)
    assert math.isnan(m[P + 'bigger_share'])


def test_same_as_vocmetric_and_vocrecallmetric():
    """AP is VOCMetric's (and VOCRecallMetric's, unrounded) at the same IoU;
    1 - FNR of a class is VOCRecallMetric's recall at the same score threshold."""
    voc = _evaluate(VOCMetric(iou_thrs=[0.21, 0.6], eval_mode='11points'))
    recall = _evaluate(VOCRecallMetric(iou_thrs=[0.21, 0.6], score_thr=0.05))
    for iou, tag in ((0.21, '21'), (0.6, '60')):
        ours = _evaluate(BenchmarkMetric(iou_thr=iou))
        assert voc[f'pascal_voc/AP{tag}'] == round(ours[P + 'mAP'], 3)
        for c in ('a', 'b'):
            assert ours[f'{P}AP_{c}'] == recall[f'pascal_voc/{c}_AP{tag}']
            assert 1 - ours[f'{P}fnr_{c}'] == pytest.approx(recall[f'pascal_voc/{c}_recall{tag}'])


def test_matching_is_eval_maps():
    """The matched detections are exactly tpfp_default's true positives, with
    ignored GT boxes, ties of scores and duplicates, at several IoUs."""
    rng = np.random.default_rng(0)
    for trial in range(30):
        centres = rng.uniform(0, 200, (6, 2))
        gts = np.hstack([centres - 10, centres + 10]).round()
        ignore, gts = (gts[:2], gts[2:]) if trial % 2 else (np.zeros((0, 4)), gts)
        pick = rng.integers(0, len(centres), 25)
        jitter = rng.normal(0, 6, (25, 4))
        boxes = np.hstack([centres[pick] - 10, centres[pick] + 10]) + jitter
        boxes[:, 2:] = np.maximum(boxes[:, 2:], boxes[:, :2] + 1)
        dets = np.hstack([boxes, rng.choice([.3, .5, .9], (25, 1))])  # many ties
        for iou in (0.21, 0.5):
            tp, _ = tpfp_default(dets, gts, ignore, iou, use_legacy_coordinate=True)
            m = match_detections(dets, gts, ignore, iou)
            assert sorted(m[:, 0].astype(int)) == list(np.flatnonzero(tp[0]))
            assert len(set(m[:, 1])) == len(m)  # each GT once
            assert (m[:, 3] >= iou).all()


def test_box_convention_and_one_box():
    det = np.array([[0, 0, 19, 9, .9]])
    gt = np.array([[0, 0, 9, 9]], dtype=float)
    empty = np.zeros((0, 4))
    (row, ) = match_detections(det, gt, empty, 0.21)  # legacy: 20 x 10 over 10 x 10
    assert row.tolist() == [0, 0, .9, .5, 2.0]
    (row, ) = match_detections(det, gt, empty, 0.21, legacy_coordinate=False)  # 19 x 9 / 9 x 9
    assert row[3] == pytest.approx(81 / 171) and row[4] == pytest.approx(171 / 81)
    assert match_detections(det, empty, empty, 0.21).shape == (0, 5)
    assert match_detections(np.zeros((0, 5)), gt, empty, 0.21).shape == (0, 5)
    # a detection on an ignored box is no match, and does not take the GT
    assert match_detections(det, gt, np.array([[0, 0, 19, 9.]]), 0.21).shape == (0, 5)


class _Predictions(BaseModel):
    """A 'model' whose predictions are in its input samples."""

    def __init__(self):
        super().__init__()
        self.p = torch.nn.Parameter(torch.zeros(1))

    def forward(self, *args, **kwargs):
        raise NotImplementedError

    def val_step(self, data):
        return data


def test_files_go_to_the_runners_log_dir(tmp_path):
    """out_dir=None: into the log directory of the mmengine runner that
    evaluates (work_dir/<timestamp>, beside its log and vis_data/); nowhere
    outside a runner."""
    MessageHub.get_instance(f'no_runner_{uuid.uuid4().hex}')  # current, no logger of its name
    _evaluate(BenchmarkMetric())
    assert not list(tmp_path.iterdir())

    class Samples(list):
        metainfo = dict(classes=CLASSES)

    empty = dict(bboxes=torch.zeros(0, 4), labels=torch.zeros(0, dtype=torch.long))
    runner = Runner(
        model=_Predictions(), work_dir=str(tmp_path), default_scope='mmdet',
        val_dataloader=dict(dataset=Samples(dict(s, ignored_instances=empty) for s in _samples()),
                            batch_size=2, sampler=dict(type='DefaultSampler', shuffle=False),
                            collate_fn=lambda batch: batch),
        val_cfg=dict(), val_evaluator=dict(type='BenchmarkMetric', prefix='bench21'))
    metrics = runner.val()
    assert metrics['bench21/mAP'] == pytest.approx(0.7, abs=1e-6)
    (log_dir, ) = [p for p in tmp_path.iterdir() if p.is_dir()]
    assert {'bench21_box_ratio.csv', 'bench21_per_class.csv', 'bench21_report.md',
            f'{log_dir.name}.log', 'vis_data'} == {p.name for p in log_dir.iterdir()}
    assert '| all | Bigger | 2 | 50.00% |' in (log_dir / 'bench21_report.md').read_text()


def test_registered_and_arguments_checked():
    m = METRICS.build(dict(type='BenchmarkMetric'))
    assert (m.iou_thr, m.score_thr, m.prefix, m.eval_mode) == (0.21, 0.05, 'bench', '11points')
    with pytest.raises(ValueError, match='one number in'):
        BenchmarkMetric(iou_thr=[0.21, 0.5])
    with pytest.raises(ValueError, match='score_thr must be'):
        BenchmarkMetric(score_thr=None)


def test_metric_cost_benchmark_runs(monkeypatch, capsys):
    """benchmarks/metric_cost.py at a tiny size: its table, and the three
    metrics agree where they should (same AP for ours and VOCMetric)."""
    monkeypatch.setattr(sys, 'argv', ['metric_cost.py', '--detections', '200', '--images', '20',
                                      '--classes', '3', '--repeats', '1'])
    runpy.run_path(str(REPO / 'benchmarks/metric_cost.py'), run_name='__main__')
    rows = [r for r in capsys.readouterr().out.splitlines() if r.startswith('| ')][1:]
    assert [r.split(' | ')[0] for r in rows] == [
        '| BenchmarkMetric(iou_thr=0.21) (plb_mm), writing its tables',
        "| VOCMetric(iou_thrs=0.21, eval_mode='11points') (mmdet)", '| CocoMetric(bbox) (mmdet)']
    ours, voc = (float(r.split()[-2]) for r in rows[:2])
    assert ours == voc
