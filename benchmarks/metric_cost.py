"""Evaluation cost of BenchmarkMetric beside mmdet's VOCMetric and CocoMetric.

    python benchmarks/metric_cost.py [--detections 10000] [--images 1000] [--classes 8]
        [--repeats 3]

One fake test set for all three: ``--images`` images of 600 x 600 with 1 to
9 GT boxes each (``--classes`` classes), and ``--detections`` detections
spread evenly over the images: jittered copies of the GT boxes (some with
the wrong class) and boxes on nothing, random scores. Each metric is built,
fed the data samples in batches of 8 (``process``, as a test loop does) and
evaluated (``evaluate``: gathering and ``compute_metrics``); the table gives
the median over ``--repeats`` runs of each part, in seconds, and the key
result of each metric. VOCMetric and BenchmarkMetric run mmdet's
``eval_map``, which starts a pool of 4 processes per call (its default);
CocoMetric reads its GT from a COCO file written beforehand (the usual
config), and its time includes pycocotools' COCOeval (12 numbers).
"""
import argparse
import contextlib
import io
import json
import logging
import os.path as osp
import statistics
import tempfile
import time

import numpy as np
import torch
from mmengine.logging import MMLogger

from mmdet.evaluation import CocoMetric, VOCMetric
from plb_mm.evaluation import BenchmarkMetric


def fake_test_set(num_images: int, num_dets: int, num_classes: int, seed: int = 0):
    """``(samples, coco)``: data samples (dicts, as a test loop passes them to
    metrics) and the same GT as a COCO dict."""
    rng = np.random.default_rng(seed)
    samples, images, anns = [], [], []
    per_image = np.full(num_images, num_dets // num_images)
    per_image[:num_dets % num_images] += 1
    for img_id in range(1, num_images + 1):
        n_gt = int(rng.integers(1, 10))
        xy = rng.uniform(0, 500, (n_gt, 2))
        wh = rng.uniform(10, 100, (n_gt, 2))
        gts = np.hstack([xy, xy + wh])
        labels = rng.integers(0, num_classes, n_gt)
        n = int(per_image[img_id - 1])
        on_gt = rng.random(n) < 0.8
        src = rng.integers(0, n_gt, n)
        boxes = gts[src] + rng.normal(0, 0.15, (n, 4)) * np.tile(wh[src], 2)
        rand_xy = rng.uniform(0, 500, (n, 2))
        boxes[~on_gt] = np.hstack([rand_xy, rand_xy + rng.uniform(10, 100, (n, 2))])[~on_gt]
        boxes[:, 2:] = np.maximum(boxes[:, 2:], boxes[:, :2] + 1)
        det_labels = np.where(rng.random(n) < 0.9, labels[src], rng.integers(0, num_classes, n))
        samples.append(dict(
            img_id=img_id, ori_shape=(600, 600),
            gt_instances=dict(bboxes=torch.tensor(gts, dtype=torch.float32),
                              labels=torch.tensor(labels)),
            ignored_instances=dict(bboxes=torch.zeros(0, 4),
                                   labels=torch.zeros(0, dtype=torch.long)),
            pred_instances=dict(bboxes=torch.tensor(boxes, dtype=torch.float32),
                                scores=torch.tensor(rng.random(n), dtype=torch.float32),
                                labels=torch.tensor(det_labels))))
        images.append(dict(id=img_id, file_name=f'{img_id}.png', width=600, height=600))
        for (x1, y1, x2, y2), label in zip(gts.tolist(), labels.tolist()):
            anns.append(dict(id=len(anns) + 1, image_id=img_id, category_id=label + 1,
                             bbox=[x1, y1, x2 - x1, y2 - y1], area=(x2 - x1) * (y2 - y1),
                             iscrowd=0))
    classes = tuple(f'class{i}' for i in range(num_classes))
    coco = dict(images=images, annotations=anns,
                categories=[dict(id=i + 1, name=n) for i, n in enumerate(classes)])
    return samples, coco, classes


def time_metric(build, samples, classes, batch_size=8):
    """``(process seconds, evaluate seconds, metrics)`` of one run."""
    with contextlib.redirect_stdout(io.StringIO()):  # pycocotools prints
        metric = build()
    metric.dataset_meta = dict(classes=classes)
    t0 = time.perf_counter()
    for i in range(0, len(samples), batch_size):
        metric.process({}, samples[i:i + batch_size])
    t1 = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):  # pycocotools prints
        metrics = metric.evaluate(len(samples))
    return t1 - t0, time.perf_counter() - t1, metrics


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--detections', type=int, default=10000)
    p.add_argument('--images', type=int, default=1000)
    p.add_argument('--classes', type=int, default=8)
    p.add_argument('--repeats', type=int, default=3)
    args = p.parse_args()
    MMLogger.get_instance('metric_cost', log_level=logging.WARNING)  # no per-class tables
    samples, coco, classes = fake_test_set(args.images, args.detections, args.classes)
    num_gts = sum(len(s['gt_instances']['labels']) for s in samples)
    with tempfile.TemporaryDirectory() as tmp:
        ann_file = osp.join(tmp, 'test.json')
        with open(ann_file, 'w') as f:
            json.dump(coco, f)
        metrics = [
            ('BenchmarkMetric(iou_thr=0.21) (plb_mm), writing its tables',
             lambda: BenchmarkMetric(out_dir=tmp), 'bench/mAP'),
            ("VOCMetric(iou_thrs=0.21, eval_mode='11points') (mmdet)",
             lambda: VOCMetric(iou_thrs=0.21, eval_mode='11points'), 'pascal_voc/mAP'),
            ('CocoMetric(bbox) (mmdet)', lambda: CocoMetric(ann_file=ann_file, metric='bbox'),
             'coco/bbox_mAP'),
        ]
        print(f'{args.detections} detections on {args.images} images ({num_gts} GT boxes, '
              f'{args.classes} classes); median of {args.repeats} runs, seconds; torch threads '
              f'{torch.get_num_threads()}\n')
        print('| metric | process | evaluate | total | result |')
        print('|---|---|---|---|---|')
        for name, build, key in metrics:
            runs = [time_metric(build, samples, classes) for _ in range(args.repeats)]
            proc = statistics.median(r[0] for r in runs)
            ev = statistics.median(r[1] for r in runs)
            total = statistics.median(r[0] + r[1] for r in runs)
            print(f'| {name} | {proc:.3f} | {ev:.3f} | {total:.3f} | {key} '
                  f'{runs[-1][2][key]:.4f} |', flush=True)


if __name__ == '__main__':
    main()
