"""Confusion matrix of a test run's predictions at one IoU (the benchmark
kit's; Pianese, Fig. 26), as a CSV of counts and a PNG.

The matrix and the plot are mmdet's: ``calculate_confusion_matrix`` and
``plot_confusion_matrix`` of ``tools/analysis_tools/confusion_matrix.py``,
loaded from the copy that mim installs inside the mmdet package
(``mmdet/.mim/tools/...``), not copied. Rows are the GT class (last row:
background, i.e. detections on no GT), columns the predicted class (last
column: background, i.e. GT boxes nothing found). mmdet's rule, kept: a
detection scoring ``>= score_thr`` adds 1 to ``[gt, det]`` for *every* GT
box it overlaps with IoU ``>= iou_thr`` (so a duplicate counts twice; not the
one-to-one matching of ``BenchmarkMetric``), to ``[background, det]`` when it
overlaps none; a GT box that no detection of its own class overlaps adds 1
to ``[gt, background]``. IoU in continuous coordinates (``BenchmarkMetric``
defaults to VOC's ``+1`` sides, as ``VOCMetric``).

What plb_mm adds around it (:class:`_GroundTruth`): predictions are paired
with the data set by ``img_id`` (mmdet pairs them by position, so a ``.pkl``
in another order is silently wrong), a count mismatch is an error, ignored
(``iscrowd``) GT boxes are left out as ``VOCMetric`` does (mmdet counts them
as GT), the CSV, and a figure large enough for a few classes.
"""
import csv
import functools
import importlib.util
import os
import os.path as osp
import warnings
from typing import List, Optional, Sequence

import numpy as np


@functools.lru_cache(maxsize=None)
def mmdet_confusion_matrix_tool():
    """mmdet's ``tools/analysis_tools/confusion_matrix.py`` as a module
    (installed with mmdet under ``mmdet/.mim``; not a package, so loaded by
    path)."""
    import mmdet
    path = osp.join(osp.dirname(mmdet.__file__), '.mim', 'tools', 'analysis_tools',
                    'confusion_matrix.py')
    if not osp.isfile(path):
        raise ImportError(f"{path}: mmdet's confusion-matrix tool is missing; it ships in "
                          f"mmdet's wheel (pip install mmdet) under mmdet/.mim/tools")
    spec = importlib.util.spec_from_file_location('mmdet_tools_confusion_matrix', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class _GroundTruth:
    """What mmdet's ``calculate_confusion_matrix`` reads of a data set
    (``len``, ``metainfo``, ``get_data_info(i)['instances']``), for the
    predictions in their own order: image ``i`` is the one of
    ``results[i]['img_id']``; ignored instances are dropped."""

    def __init__(self, dataset, results: Sequence[dict]):
        self.metainfo = dataset.metainfo
        self.results = results
        if len(results) != len(dataset):
            raise ValueError(f'{len(results)} predictions for {len(dataset)} images: the .pkl '
                             f'must be the output of tools/test.py --out on this config\'s '
                             f'test set')
        infos = [dataset.get_data_info(i) for i in range(len(dataset))]
        if all('img_id' in r for r in results) and all('img_id' in d for d in infos):
            by_id = {d['img_id']: d for d in infos}
            missing = [r['img_id'] for r in results if r['img_id'] not in by_id]
            if missing:
                raise ValueError(f'predictions for img_id {missing[:5]} which the test set '
                                 f'does not hold')
            infos = [by_id[r['img_id']] for r in results]
        self._instances = [[i for i in d['instances'] if not i.get('ignore_flag', 0)]
                           for d in infos]

    def __len__(self) -> int:
        return len(self._instances)

    def get_data_info(self, idx: int) -> dict:
        return dict(instances=self._instances[idx])


def pair_ground_truth(dataset, results: Sequence[dict]) -> _GroundTruth:
    """The test set's GT paired with ``results`` (see :class:`_GroundTruth`);
    pass it as ``dataset`` to :func:`confusion_matrix` and :func:`gt_hits` to
    read the set once for both."""
    return _GroundTruth(dataset, results)


def _paired(dataset, results: Sequence[dict]) -> _GroundTruth:
    if isinstance(dataset, _GroundTruth) and dataset.results is results:
        return dataset
    return _GroundTruth(dataset, results)


def confusion_matrix(dataset, results: Sequence[dict], iou_thr: float = 0.21,
                     score_thr: float = 0.3, nms_iou_thr: Optional[float] = None) -> np.ndarray:
    """mmdet's ``calculate_confusion_matrix`` of ``results`` (the items of a
    ``tools/test.py --out`` pickle: ``img_id`` and ``pred_instances`` with
    ``bboxes``, ``scores``, ``labels`` tensors) against ``dataset``:
    ``(C + 1, C + 1)`` counts, rows GT class, columns predicted class, last
    row / column background."""
    tool = mmdet_confusion_matrix_tool()
    return tool.calculate_confusion_matrix(_paired(dataset, results), results,
                                           score_thr=score_thr, nms_iou_thr=nms_iou_thr,
                                           tp_iou_thr=iou_thr)


def write_confusion_matrix(matrix: np.ndarray, classes: Sequence[str], out_dir: str,
                           title: Optional[str] = None, color_theme: str = 'plasma') -> List[str]:
    """Write ``confusion_matrix.csv`` (counts, a header row of predicted
    classes, the GT class first in each row) and ``confusion_matrix.png``
    (mmdet's plot: percentages of each GT row) into ``out_dir``; returns the
    two paths."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    labels = list(classes) + ['background']
    os.makedirs(out_dir, exist_ok=True)
    csv_path = osp.join(out_dir, 'confusion_matrix.csv')
    with open(csv_path, 'w', newline='') as f:
        w = csv.writer(f)
        w.writerow(['gt \\ pred'] + labels)
        for name, row in zip(labels, matrix):
            w.writerow([name] + [int(v) for v in row])
    with np.errstate(divide='ignore', invalid='ignore'), warnings.catch_warnings():
        # rows without boxes are nan (blank); mmdet's layout of its small figure may fail
        warnings.filterwarnings('ignore', 'Tight layout not applied')
        mmdet_confusion_matrix_tool().plot_confusion_matrix(
            matrix, labels, save_dir=None, show=False, color_theme=color_theme,
            title=title or 'Normalized Confusion Matrix')
    fig = plt.gcf()
    side = max(5.0, 0.6 * len(labels) + 2)  # mmdet's 0.5 in per class cuts a few-class plot
    fig.set_size_inches(side, side * 0.8)
    fig.tight_layout()
    png_path = osp.join(out_dir, 'confusion_matrix.png')
    fig.savefig(png_path, format='png')
    plt.close(fig)
    return [csv_path, png_path]


def format_confusion_matrix(matrix: np.ndarray, classes: Sequence[str]) -> str:
    """The counts as a Markdown table (rows GT, columns predicted)."""
    labels = list(classes) + ['background']
    lines = ['| GT \\ predicted | ' + ' | '.join(labels) + ' |',
             '|---' * (len(labels) + 1) + '|']
    lines += [f'| {name} | ' + ' | '.join(str(int(v)) for v in row) + ' |'
              for name, row in zip(labels, matrix)]
    return '\n'.join(lines)


GT_HITS_FIELDS = ('class', 'gt_boxes', 'found_any_score', 'found_at_score_thr',
                  'median_best_score', 'median_best_iou')


def gt_hits(dataset, results: Sequence[dict], iou_thr: float = 0.21,
            score_thr: float = 0.3) -> List[dict]:
    """Per class (and ``all``), how the GT boxes are found, without the
    one-to-one matching of ``BenchmarkMetric`` or the counting of the matrix:
    for each GT box the best IoU of a detection of its own class and the
    highest score among its own-class detections with IoU ``>= iou_thr``.
    ``found_any_score`` / ``found_at_score_thr`` are the shares of GT boxes
    with such a detection at any score kept in the ``.pkl`` / at
    ``>= score_thr``; the gap between them is boxes the model localises but
    scores low (a calibration problem, not a localisation one).
    ``median_best_score`` is over the boxes found at any score (``nan`` if
    none), ``median_best_iou`` over all (0 where no own-class detection).
    Same pairing and ignored boxes as :func:`confusion_matrix`; IoU in
    continuous coordinates."""
    from mmdet.evaluation.functional import bbox_overlaps

    gt = _paired(dataset, results)
    classes = list(dataset.metainfo['classes'])
    best_iou = [[] for _ in classes]
    best_score = [[] for _ in classes]
    for i, res in enumerate(results):
        pred = res['pred_instances']
        boxes, scores, labels = (np.asarray(pred[k].cpu() if hasattr(pred[k], 'cpu') else pred[k])
                                 for k in ('bboxes', 'scores', 'labels'))
        insts = gt.get_data_info(i)['instances']
        if not insts:
            continue
        gt_boxes = np.asarray([inst['bbox'] for inst in insts], dtype=np.float32).reshape(-1, 4)
        # one IoU matrix per image (GT x detections), then each GT's own-class columns
        all_ious = (bbox_overlaps(gt_boxes, boxes.reshape(-1, 4).astype(np.float32))
                    if len(boxes) else np.zeros((len(insts), 0)))
        for inst, row_ious in zip(insts, all_ious):
            c = int(inst['bbox_label'])
            own = labels == c
            ious = row_ious[own]
            best_iou[c].append(float(ious.max()) if ious.size else 0.0)
            hit = ious >= iou_thr
            best_score[c].append(float(scores[own][hit].max()) if hit.any() else None)

    def row(name, ious, best):
        found = [s for s in best if s is not None]
        n = len(ious)
        return dict(zip(GT_HITS_FIELDS, (
            name, n, len(found) / n if n else float('nan'),
            sum(s >= score_thr for s in found) / n if n else float('nan'),
            float(np.median(found)) if found else float('nan'),
            float(np.median(ious)) if n else float('nan'))))

    rows = [row(name, best_iou[c], best_score[c]) for c, name in enumerate(classes)]
    rows.append(row('all', sum(best_iou, []), sum(best_score, [])))
    return rows


def format_gt_hits(rows: List[dict], iou_thr: float, score_thr: float) -> str:
    """:func:`gt_hits` as a Markdown table."""
    def pct(v):
        return '-' if v != v else f'{100 * v:.1f}%'

    def num(v):
        return '-' if v != v else f'{v:.3f}'

    lines = [f'| Class | GT boxes | own-class detection at IoU >= {iou_thr:g}: any score '
             f'| at score >= {score_thr:g} | median best score (found) | median best IoU |',
             '|---|---|---|---|---|---|']
    lines += [f"| {r['class']} | {r['gt_boxes']} | {pct(r['found_any_score'])} | "
              f"{pct(r['found_at_score_thr'])} | {num(r['median_best_score'])} | "
              f"{num(r['median_best_iou'])} |" for r in rows]
    return '\n'.join(lines)


def write_gt_hits(rows: List[dict], out_dir: str) -> str:
    """Write ``gt_hits.csv`` (fractions; empty cell for nan) into ``out_dir``."""
    os.makedirs(out_dir, exist_ok=True)
    path = osp.join(out_dir, 'gt_hits.csv')
    with open(path, 'w', newline='') as f:
        w = csv.DictWriter(f, fieldnames=GT_HITS_FIELDS)
        w.writeheader()
        for r in rows:
            w.writerow({k: ('' if isinstance(v, float) and v != v else v) for k, v in r.items()})
    return path
