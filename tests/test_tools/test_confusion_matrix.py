"""tools/analysis_tools/confusion_matrix.py on a hand-made .pkl.

The boxes of tests/test_evaluation/test_benchmark_metric.py, now a COCO file
(continuous coordinates: [0, 0, 9, 9] is 9 x 9) plus a crowd box on G1's
place in image 4. mmdet's rule: a detection scoring >= score_thr adds 1 to
[GT class, its class] for every GT box it overlaps with IoU >= iou_thr,
1 to [background, its class] if none; a GT box that no detection of its
class overlaps adds 1 to [its class, background].

IoU 0.21, score 0.3 (rows GT a, b, c, background; columns predicted):
    d1 on G1 (IoU 81/171 = .47), d2 on G2 (81/361 = .22), d3 on G1 again,
    d4 on G4: [a, a] = 4;   w (class a) on G3: [b, a] = 1;   e1 on G3: [b, b] = 1;
    G5 unfound: [b, background] = 1; e2 (.04) and d5 (.02) are below 0.3.
score 0.01: also e2 on nothing: [background, b] = 1; d5 on the crowd box,
    which is left out: [background, a] = 1.
IoU 0.5 (score 0.3): d1 (.47) and d2 (.22) overlap nothing: [background, a] = 2,
    [a, a] = 2 (d3, d4); G2 unfound: [a, background] = 1.
"""
import csv
import json
import pickle
import runpy
import sys

import numpy as np
import pytest
import torch

from ..test_evaluation.test_benchmark_metric import CLASSES, DETS, G1, GTS, REPO

AT_021 = [[4, 0, 0, 0], [1, 1, 0, 1], [0, 0, 0, 0], [0, 0, 0, 0]]


@pytest.fixture
def run(tmp_path, monkeypatch):
    """Write the COCO file, a config and the .pkl (in reverse image order,
    as a distributed test may leave it); returns a function running the tool
    in this process with the given options and returning the CSV rows."""
    images, anns = [], []
    for img, (boxes, labels) in GTS.items():
        images.append(dict(id=img, file_name=f'{img}.png', width=400, height=400))
        crowd = [(G1, 0, 1)] if img == 4 else []
        boxes = [(b, lb, 0) for b, lb in zip(boxes, labels)] + crowd
        for (x1, y1, x2, y2), label, iscrowd in boxes:
            anns.append(dict(id=len(anns) + 1, image_id=img, category_id=label + 1,
                             bbox=[x1, y1, x2 - x1, y2 - y1], area=(x2 - x1) * (y2 - y1),
                             iscrowd=iscrowd))
    ann_file = tmp_path / 'test.json'
    ann_file.write_text(json.dumps(dict(images=images, annotations=anns, categories=[
        dict(id=i + 1, name=n) for i, n in enumerate(CLASSES)])))
    config = tmp_path / 'config.py'
    config.write_text(f"""
test_dataloader = dict(dataset=dict(
    type='CocoDataset', ann_file={str(ann_file)!r}, data_prefix=dict(img=''),
    metainfo=dict(classes={CLASSES!r}), test_mode=True, pipeline=[],
    serialize_data=False))  # serializing runs gc.collect(): 0.7 s here
""")
    preds = [dict(img_id=img, img_path=f'{img}.png', pred_instances=dict(
        bboxes=torch.tensor([d[0] for d in dets], dtype=torch.float32).reshape(-1, 4),
        scores=torch.tensor([d[1] for d in dets], dtype=torch.float32),
        labels=torch.tensor([d[2] for d in dets], dtype=torch.long)))
        for img, dets in reversed(DETS.items())]
    pkl = tmp_path / 'pred.pkl'
    pkl.write_bytes(pickle.dumps(preds))

    def _run(*options, out='out'):
        monkeypatch.setattr(sys, 'argv', ['confusion_matrix.py', str(config), str(pkl),
                                          str(tmp_path / out), *options])
        runpy.run_path(str(REPO / 'tools/analysis_tools/confusion_matrix.py'), run_name='__main__')
        with open(tmp_path / out / 'confusion_matrix.csv') as f:
            rows = list(csv.reader(f))
        assert rows[0] == ['gt \\ pred', 'a', 'b', 'c', 'background']
        assert [r[0] for r in rows[1:]] == ['a', 'b', 'c', 'background']
        assert (tmp_path / out / 'confusion_matrix.png').stat().st_size > 1000
        return [[int(v) for v in r[1:]] for r in rows[1:]]

    return _run


def test_hand_made_pkl(run, capsys):
    assert run('--iou-thr', '0.21', '--score-thr', '0.3') == AT_021
    out = capsys.readouterr().out
    assert '4 images, IoU >= 0.21, score >= 0.3' in out
    assert '| b | 1 | 1 | 0 | 1 |' in out


def test_score_and_iou_thresholds(run):
    low = np.array(AT_021)
    low[3] = [1, 1, 0, 0]
    assert run('--score-thr', '0.01', out='low') == low.tolist()
    assert run('--iou-thr', '0.5', out='iou50') == [[2, 0, 0, 1], [1, 1, 0, 1], [0, 0, 0, 0],
                                                    [2, 0, 0, 0]]


def test_predictions_not_of_this_test_set(run, tmp_path):
    preds = pickle.loads((tmp_path / 'pred.pkl').read_bytes())
    (tmp_path / 'pred.pkl').write_bytes(pickle.dumps(preds[:3]))
    with pytest.raises(SystemExit, match='3 predictions for 4 images'):
        run()
    preds[0] = dict(preds[0], img_id=99)
    (tmp_path / 'pred.pkl').write_bytes(pickle.dumps(preds))
    with pytest.raises(SystemExit, match=r'img_id \[99\]'):
        run()


def _hits(tmp_path, out):
    with open(tmp_path / out / 'gt_hits.csv') as f:
        return {r['class']: r for r in csv.DictReader(f)}


def test_gt_hits(run, tmp_path, capsys):
    """Best own-class detection of each GT box (IoU continuous):
    a: G1 <- d1 (.47, score .9) and d3 (1.0, .7): IoU 1, score .9;
       G2 <- d2 (81/361 = .2244, .8); G4 <- (1.0, .6); the crowd box is left out.
    b: G3 <- e1 (81/126 = .6429, .5) (w is class a: not its own class);
       G5: no detection (IoU 0).
    c: no GT boxes."""
    run('--iou-thr', '0.21', '--score-thr', '0.7')
    hits = _hits(tmp_path, 'out')
    a, b, c, total = hits['a'], hits['b'], hits['c'], hits['all']
    assert a['gt_boxes'] == '3' and float(a['found_any_score']) == 1.0
    assert float(a['found_at_score_thr']) == pytest.approx(2 / 3)        # G4's .6 < .7
    assert float(a['median_best_score']) == pytest.approx(.8)            # .9, .8, .6
    assert float(a['median_best_iou']) == 1.0                            # 1, .2244, 1
    assert float(b['found_any_score']) == 0.5 and float(b['found_at_score_thr']) == 0.0  # .5 < .7
    assert float(b['median_best_score']) == pytest.approx(.5)
    assert float(b['median_best_iou']) == pytest.approx((81 / 126) / 2)  # median of .6429, 0
    assert c['gt_boxes'] == '0' and c['found_any_score'] == c['median_best_score'] == ''
    assert total['gt_boxes'] == '5' and float(total['found_any_score']) == pytest.approx(4 / 5)
    assert float(total['found_at_score_thr']) == pytest.approx(2 / 5)
    assert '| a | 3 | 100.0% | 66.7% | 0.800 | 1.000 |' in capsys.readouterr().out
    # IoU 0.5: G2's only own-class overlap (.2244) and d1 on G1 (.47) no longer count
    run('--iou-thr', '0.5', '--score-thr', '0.7', out='iou50')
    a = _hits(tmp_path, 'iou50')['a']
    assert float(a['found_any_score']) == pytest.approx(2 / 3)
    assert float(a['median_best_score']) == pytest.approx(.65)  # G1: d3 .7 (d1 .47 < .5); G4 .6


def test_test_set_read_once(run, monkeypatch):
    """The tool pairs the predictions with the test set once for the matrix
    and the GT hits (not once each), with the same counts."""
    from plb_mm.utils import confusion_matrix as cm
    built = []

    class Counting(cm._GroundTruth):
        def __init__(self, *args):
            built.append(1)
            super().__init__(*args)

    monkeypatch.setattr(cm, '_GroundTruth', Counting)
    assert run() == AT_021 and len(built) == 1
