"""11-point AP (mmdet's eval_map) and recall, by hand.

Two images, boxes 20 x 20 px (VOC's +1 sides: 20 x 20 = 400 px^2).

Class 'a': 3 GT (A1, A2 in image 1, A3 in image 2); 5 detections by score:

    d1 0.9 img1 on A1                 TP
    d2 0.8 img2 on nothing            FP
    d3 0.7 img1 A1 moved 1 px         FP (A1 already matched)
    d4 0.6 img2 on A3                 TP
    d5 0.3 img1 A2 moved 4 px         TP at IoU 0.5 (IoU 320/480 = 0.667), FP at 0.75

  IoU 0.5: cumTP 1 1 1 2 3, precision 1 .5 .333 .5 .6, recall 1/3 1/3 1/3 2/3 1
    11-point: r = 0, .1, .2, .3 -> max precision at recall >= r = 1;
              r = .4 ... 1      -> max(.5, .6) or .6 = .6
    AP = (4 * 1 + 7 * 0.6) / 11 = 8.2 / 11 = 0.745455; recall = 1
    recall at score >= 0.5 (d1..d4): 2/3
  IoU 0.75: cumTP 1 1 1 2 2, precision 1 .5 .333 .5 .4, recall 1/3 1/3 1/3 2/3 2/3
    r = 0 ... .3 -> 1; r = .4, .5, .6 -> .5; r = .7 ... 1 -> 0 (never reached)
    AP = (4 + 3 * 0.5) / 11 = 0.5; recall = 2/3

Class 'b': 1 GT (B1, image 2) and 1 crowd box (C1, image 1, ignored):

    e1 0.95 img1 on C1                neither TP nor FP (ignored)
    e2 0.4  img2 IoU 0.14 with B1     FP
    e3 0.2  img2 on B1                TP

  cumTP 0 0 1, cumFP 0 1 1: precision 0 0 .5, recall 0 0 1
    every r: max precision at recall >= r = .5 -> AP = 0.5 at both IoUs; recall = 1
    recall at score >= 0.5 (e1 only): 0

Class 'c': no GT, no detection: nan, left out of the means.
mAP50 = (0.745455 + 0.5) / 2 = 0.622727, mAP75 = 0.5; recall50 = 1, recall75 = 5/6.
"""
import json
import math

import cv2
import numpy as np
import pytest
import torch
from mmengine.registry import DefaultScope

from mmdet.datasets import CocoDataset
from mmdet.evaluation import VOCMetric
from mmdet.registry import METRICS
from plb_mm.evaluation import VOCRecallMetric

A1, A2, A3 = [10, 10, 29, 29], [100, 100, 119, 119], [50, 50, 69, 69]
B1, C1 = [200, 200, 219, 219], [150, 10, 169, 29]
DETS = {  # image: [(box, score, label)]
    1: [(A1, .9, 0), ([11, 10, 30, 29], .7, 0), ([104, 100, 123, 119], .3, 0), (C1, .95, 1)],
    2: [([300, 300, 319, 319], .8, 0), (A3, .6, 0), ([210, 210, 229, 229], .4, 1), (B1, .2, 1)],
}
GTS = {1: ([A1, A2], [0, 0], [C1], [1]), 2: ([A3, B1], [0, 1], [], [])}
CLASSES = ('a', 'b', 'c')


def _t(x, dtype=torch.float32):
    return torch.tensor(x, dtype=dtype).reshape(-1, 4) if dtype == torch.float32 \
        else torch.tensor(x, dtype=dtype)


def _samples(with_ignored=True):
    out = []
    for img, dets in DETS.items():
        boxes, labels, ign_boxes, ign_labels = GTS[img]
        s = dict(img_id=img,
                 gt_instances=dict(bboxes=_t(boxes), labels=_t(labels, torch.long)),
                 pred_instances=dict(bboxes=_t([d[0] for d in dets]),
                                     scores=_t([d[1] for d in dets], torch.float32).flatten(),
                                     labels=_t([d[2] for d in dets], torch.long)))
        if with_ignored:
            s['ignored_instances'] = dict(bboxes=_t(ign_boxes), labels=_t(ign_labels, torch.long))
        out.append(s)
    return out


def _evaluate(metric, samples=None):
    metric.dataset_meta = dict(classes=CLASSES)
    metric.process({}, samples if samples is not None else _samples())
    return metric.evaluate(2)


def test_hand_worked():
    m = _evaluate(VOCRecallMetric(iou_thrs=[0.5, 0.75]))
    p = 'pascal_voc/'
    assert m[p + 'AP50'] == round((8.2 / 11 + 0.5) / 2, 3)
    assert m[p + 'AP75'] == 0.5
    assert m[p + 'mAP'] == pytest.approx(((8.2 / 11 + 0.5) / 2 + 0.5) / 2, abs=1e-6)
    assert m[p + 'a_AP50'] == pytest.approx(8.2 / 11, abs=1e-6) and m[p + 'b_AP50'] == 0.5
    assert m[p + 'a_AP75'] == 0.5 and m[p + 'b_AP75'] == 0.5
    assert m[p + 'recall50'] == 1.0 and m[p + 'recall75'] == pytest.approx(5 / 6, abs=1e-6)
    assert m[p + 'a_recall50'] == 1.0 and m[p + 'a_recall75'] == pytest.approx(2 / 3, abs=1e-6)
    assert m[p + 'b_recall50'] == 1.0 and m[p + 'b_recall75'] == 1.0
    assert m[p + 'recall'] == pytest.approx((1 + 5 / 6) / 2, abs=1e-6)
    assert math.isnan(m[p + 'c_AP50']) and math.isnan(m[p + 'c_recall50'])
    assert list(m)[:2] == [p + 'mAP', p + 'recall']


def test_recall_at_a_score_threshold():
    m = _evaluate(VOCRecallMetric(score_thr=0.5))
    assert m['pascal_voc/a_recall50'] == pytest.approx(2 / 3, abs=1e-6)  # d1..d4
    assert m['pascal_voc/b_recall50'] == 0.0  # e1 only, on the ignored box
    assert m['pascal_voc/recall'] == pytest.approx(1 / 3, abs=1e-6)
    assert m['pascal_voc/AP50'] == round((8.2 / 11 + 0.5) / 2, 3)  # AP does not change
    # a threshold above every score keeps nothing; one below every score keeps all
    assert _evaluate(VOCRecallMetric(score_thr=0.99))['pascal_voc/recall'] == 0.0
    assert _evaluate(VOCRecallMetric(score_thr=0.01))['pascal_voc/recall'] == 1.0


def test_ap_is_vocmetric_s():
    for mode in ('11points', 'area'):
        ours = _evaluate(VOCRecallMetric(iou_thrs=[0.5, 0.75], eval_mode=mode, classwise=False))
        stock = _evaluate(VOCMetric(iou_thrs=[0.5, 0.75], eval_mode=mode))
        assert {k: v for k, v in ours.items() if 'recall' not in k} == stock
        assert set(ours) - set(stock) == {f'pascal_voc/{k}'
                                          for k in ('recall', 'recall50', 'recall75')}


def test_samples_without_ignore_flags_or_ground_truth():
    # no ignored_instances: the crowd box C1 is gone, e1 becomes a false positive of 'b'
    m = _evaluate(VOCRecallMetric(), _samples(with_ignored=False))
    # 'b': FP FP TP: precision 0 0 1/3 at recall 0 0 1 -> AP 1/3
    assert m['pascal_voc/b_AP50'] == pytest.approx(1 / 3, abs=1e-6)
    assert m['pascal_voc/b_recall50'] == 1.0
    bare = [dict(s, gt_instances={}) for s in _samples()]
    with pytest.raises(ValueError, match="has none: add dict\\(type='LoadAnnotations'"):
        _evaluate(VOCRecallMetric(), bare)


def test_registered_and_scale_ranges_refused():
    assert isinstance(METRICS.build(dict(type='VOCRecallMetric')), VOCRecallMetric)
    with pytest.raises(ValueError, match='scale_ranges is not supported'):
        VOCRecallMetric(scale_ranges=[(0, 32)])


def test_with_a_coco_dataset(tmp_path):
    """A CocoDataset through the usual test pipeline (annotations loaded after
    Resize, as plb_mm's configs do): crowd boxes arrive as ignored_instances,
    boxes stay in the original frame. Perfect predictions give AP 1, recall 1."""
    images, anns = [], []
    for img, (boxes, labels, ign, ign_labels) in GTS.items():
        cv2.imwrite(str(tmp_path / f'{img}.png'), np.zeros((240, 320, 3), np.uint8))
        images.append(dict(id=img, file_name=f'{img}.png', width=320, height=240))
        for box, label, crowd in [(b, l, 0) for b, l in zip(boxes, labels)] + \
                [(b, l, 1) for b, l in zip(ign, ign_labels)]:
            x1, y1, x2, y2 = box
            anns.append(dict(id=len(anns) + 1, image_id=img, category_id=label + 1,
                             bbox=[x1, y1, x2 - x1, y2 - y1], area=(x2 - x1) * (y2 - y1),
                             iscrowd=crowd))
    ann_file = tmp_path / 'ann.json'
    ann_file.write_text(json.dumps(dict(
        images=images, annotations=anns,
        categories=[dict(id=i + 1, name=n) for i, n in enumerate(CLASSES)])))
    with DefaultScope.overwrite_default_scope('mmdet'):
        ds = CocoDataset(ann_file=str(ann_file), data_prefix=dict(img=str(tmp_path) + '/'),
                         metainfo=dict(classes=CLASSES), test_mode=True, pipeline=[
                             dict(type='LoadImageFromFile'),
                             dict(type='Resize', scale=(160, 160), keep_ratio=True),
                             dict(type='LoadAnnotations', with_bbox=True),
                             dict(type='PackDetInputs')])
    metric = VOCRecallMetric()
    metric.dataset_meta = ds.metainfo
    for i in range(len(ds)):
        sample = ds[i]['data_samples']
        assert len(sample.ignored_instances) == (1 if sample.img_id == 1 else 0)
        gt = sample.gt_instances
        # in the original frame (320 x 240), not the resized one (160 x 120)
        assert gt.bboxes.tensor.tolist() == [[float(v) for v in b] for b in GTS[sample.img_id][0]]
        sample.pred_instances = gt.clone()
        sample.pred_instances.bboxes = gt.bboxes.tensor
        sample.pred_instances.scores = torch.ones(len(gt))
        metric.process({}, [sample.to_dict()])
    m = metric.evaluate(len(ds))
    assert m['pascal_voc/mAP'] == 1.0 and m['pascal_voc/recall'] == 1.0
    assert m['pascal_voc/a_recall50'] == 1.0 and m['pascal_voc/b_AP50'] == 1.0
