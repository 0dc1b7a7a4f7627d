import csv
import os
import os.path as osp
from collections import OrderedDict
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from mmengine.logging import MessageHub, MMLogger

from mmdet.evaluation.functional import bbox_overlaps, eval_map
from mmdet.registry import METRICS
from .voc_recall_metric import VOCRecallMetric

#: sides of the box-area ratio table, in the paper's order (Tables 6-7) plus
#: the exact fits the paper leaves out
SIDES = ('bigger', 'smaller', 'equal')
#: ``|ratio - 1| <= EQUAL_TOL`` counts as equal (float noise of rescaled boxes)
EQUAL_TOL = 1e-6


@METRICS.register_module()
class BenchmarkMetric(VOCRecallMetric):
    r"""The detector-benchmark evaluation (Pianese, "Benchmarking SOTA visual
    object detection techniques for medical applications", Sec. 3.3 and
    Tables 3-7) at one IoU threshold, 0.21 by default as in the paper.

    All numbers come from one matching per class and image, the one of
    mmdet's ``eval_map`` (``tpfp_default``, as ``VOCMetric``): detections in
    descending score order, each takes the ground truth (GT) box it overlaps
    most; with IoU ``>= iou_thr`` and that GT still free it is a match (true
    positive) and the GT is taken, so each GT is matched at most once; a
    detection whose best GT is ignored (``iscrowd``) is neither matched nor
    false. Only boxes of the same class match: a lesion found with the wrong
    class is a miss of its GT (the confusion matrix,
    ``tools/analysis_tools/confusion_matrix.py``, shows where it went).
    IoU and areas use ``eval_map``'s box convention (``legacy_coordinate``).

    Reported (keys with the ``bench/`` prefix):

    - ``mAP`` and, with ``classwise``, ``AP_<class>``: 11-point interpolated
      AP (VOC2007, the paper's Sec. 3.3.1) of every detection the model
      returns, by mmdet's ``eval_map``; mean over the classes with GT.
      Equals ``VOCMetric(iou_thrs=iou_thr, eval_mode='11points')``.
    - ``mean_iou``: mean IoU of the matched detections scoring
      ``>= score_thr`` (the paper's "list of IoU values" of overlaps above the
      threshold), pooled over classes; per class ``mean_iou_<class>``. 0 when
      nothing is matched (the paper's 0% rows), nan for a class without GT.
    - ``fnr``: false-negative rate, the share of (non-ignored) GT boxes with no
      matched detection scoring ``>= score_thr``, pooled over classes; per
      class ``fnr_<class>`` (= 1 - ``VOCRecallMetric``'s recall at
      ``score_thr``).
    - ``no_det_images``: the share of all evaluated images with no detection
      scoring ``>= score_thr`` of any class (the paper's Sec. 5: "only ... 40%
      of the images" got a box).
    - ``bigger_share``, ``smaller_share``: shares of the matched detections
      (score ``>= score_thr``) whose box area is larger / smaller than their
      GT's; the full table is written to files (below).

    The box-area ratio table (the paper's Tables 6-7): for each matched
    detection scoring ``>= score_thr``, ``ratio = area(prediction) /
    area(matched GT)``; rows ``bigger`` (ratio > 1), ``smaller`` (< 1) and
    ``equal`` (within 1e-6 of 1, not in the paper), each with the count, the
    share of the matched predictions ("Percentage of predictions"), and the
    mean, median, minimum and maximum ratio; for ``all`` classes pooled and
    for each class. Unmatched detections have no GT, hence no ratio.

    ``score_thr`` (0.05) is the operating point of every number but the AP,
    which always runs over the whole ranked list. 0.05 is the ``score_thr``
    of mmdet's Faster R-CNN and YOLOv3 ``test_cfg``, so by default every
    returned detection counts; raise it for a stricter operating point (e.g.
    0.3, the default of mmdet's confusion-matrix tool, or darknet's 0.25).

    Files: ``{prefix}_report.md`` (summary, per-class table, ratio table),
    ``{prefix}_per_class.csv`` and ``{prefix}_box_ratio.csv``, rewritten at
    each evaluation, into ``out_dir``; with ``out_dir=None`` into the log
    directory of the runner that runs the evaluation (``work_dir/<timestamp>``,
    where mmengine writes the run's log and ``vis_data/scalars.json``), found
    through mmengine's current ``MessageHub`` and the ``MMLogger`` of the same
    name (the runner names both after its experiment); with no runner (offline
    evaluation) and no ``out_dir``, no files are written.

    Ground truth is read from the data samples as ``VOCRecallMetric`` does
    (annotations loaded after ``Resize`` in the test pipeline).

    Args:
        iou_thr (float): IoU threshold of a match. Defaults to 0.21.
        score_thr (float): operating point of all but the AP (above).
            Defaults to 0.05.
        out_dir (str, optional): where to write the tables; None: the
            runner's log directory, if any. Defaults to None.
        classwise (bool): per-class keys. Defaults to True.
        legacy_coordinate (bool): box sides ``x2 - x1 + 1`` in the IoU and the
            areas, as ``VOCMetric`` (VOC pixel indices); False for
            continuous coordinates (COCO). Defaults to True.
        collect_device (str): as ``BaseMetric``. Defaults to 'cpu'.
        prefix (str, optional): key and file prefix; give two instances at
            two IoUs different prefixes. Defaults to 'bench'.

    Example::

        val_evaluator = dict(type='BenchmarkMetric', iou_thr=0.21, score_thr=0.05)
        test_evaluator = val_evaluator
    """

    default_prefix: Optional[str] = 'bench'

    def __init__(self,
                 iou_thr: float = 0.21,
                 score_thr: float = 0.05,
                 out_dir: Optional[str] = None,
                 classwise: bool = True,
                 legacy_coordinate: bool = True,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        if not isinstance(iou_thr, (int, float)) or not 0 < iou_thr <= 1:
            raise ValueError(f'BenchmarkMetric: iou_thr must be one number in (0, 1], got '
                             f'{iou_thr!r} (for several thresholds use one metric per '
                             f'threshold, each with its own prefix)')
        if score_thr is None or score_thr < 0:
            raise ValueError(f'BenchmarkMetric: score_thr must be a number >= 0, got {score_thr!r}')
        super().__init__(iou_thrs=float(iou_thr), score_thr=float(score_thr),
                         classwise=classwise, eval_mode='11points',
                         collect_device=collect_device, prefix=prefix)
        self.iou_thr = float(iou_thr)
        self.out_dir = out_dir
        self.legacy_coordinate = legacy_coordinate

    def compute_metrics(self, results: list) -> Dict[str, float]:
        logger: MMLogger = MMLogger.get_current_instance()
        gts, preds = zip(*results)
        classes = list(self.dataset_meta['classes'])
        dataset_type = self.dataset_meta.get('dataset_type')
        dataset_name = 'voc' if dataset_type in ('VOC2007', 'VOC2012') else classes
        logger.info(f'\n{"-" * 15}BenchmarkMetric iou_thr: {self.iou_thr}{"-" * 15}')
        mean_ap, per_class = eval_map(
            preds, gts, iou_thr=self.iou_thr, dataset=dataset_name, logger=logger,
            eval_mode='11points', use_legacy_coordinate=self.legacy_coordinate)
        table = benchmark_table(gts, preds, len(classes), self.iou_thr, self.score_thr,
                                self.legacy_coordinate)
        aps = [float(r['ap']) if r['num_gts'] > 0 else float('nan') for r in per_class]
        rows = per_class_rows(table, classes, aps, mean_ap)
        ratio_rows = box_ratio_rows(table, classes)

        out = OrderedDict(mAP=float(mean_ap))
        overall = rows[-1]
        out['mean_iou'] = overall['mean_iou']
        out['fnr'] = overall['fnr']
        out['no_det_images'] = table['no_det_images'] / max(table['images'], 1)
        shares = {r['side']: r['share'] for r in ratio_rows[:len(SIDES)]}  # 'all' first
        out['bigger_share'] = shares['bigger']
        out['smaller_share'] = shares['smaller']
        if self.classwise:
            for row in rows[:-1]:
                out[f'AP_{row["class"]}'] = row['ap']
            for row in rows[:-1]:
                out[f'mean_iou_{row["class"]}'] = row['mean_iou']
                out[f'fnr_{row["class"]}'] = row['fnr']

        report = format_report(rows, ratio_rows, table, self.iou_thr, self.score_thr)
        logger.info('\n' + report)
        out_dir = self.out_dir or runner_log_dir()
        if out_dir:
            paths = write_tables(out_dir, self.prefix, report, rows, ratio_rows)
            logger.info(f'BenchmarkMetric tables written: {", ".join(paths)}')
        return out


def match_detections(dets: np.ndarray, gts: np.ndarray, gts_ignore: np.ndarray,
                     iou_thr: float, legacy_coordinate: bool = True) -> np.ndarray:
    """The matches of one class in one image, by ``eval_map``'s rule
    (mmdet ``tpfp_default``; see :class:`BenchmarkMetric`).

    Args:
        dets (np.ndarray): (m, 5) boxes ``x1, y1, x2, y2, score``.
        gts (np.ndarray): (n, 4) ground-truth boxes.
        gts_ignore (np.ndarray): (k, 4) ignored ground-truth boxes.
        iou_thr (float): IoU of a match (``>=``).
        legacy_coordinate (bool): ``+1`` box sides in IoU and areas.

    Returns:
        np.ndarray: (p, 5) one row per match, in score order:
        ``det index, gt index, score, IoU, area(det) / area(gt)``.
    """
    if len(dets) == 0 or len(gts) == 0:
        return np.zeros((0, 5))
    all_gts = np.vstack((gts, gts_ignore)) if len(gts_ignore) else gts
    ious = bbox_overlaps(dets[:, :4], all_gts, use_legacy_coordinate=legacy_coordinate)
    best_iou, best_gt = ious.max(axis=1), ious.argmax(axis=1)
    covered = np.zeros(len(all_gts), dtype=bool)
    matches = []
    for i in np.argsort(-dets[:, -1]):  # eval_map's order, ties included
        j = best_gt[i]
        if best_iou[i] >= iou_thr and j < len(gts) and not covered[j]:
            covered[j] = True
            matches.append((i, j, dets[i, -1], best_iou[i]))
    if not matches:
        return np.zeros((0, 5))
    m = np.array(matches, dtype=np.float64)
    det_idx, gt_idx = m[:, 0].astype(int), m[:, 1].astype(int)
    ratio = _areas(dets[det_idx, :4], legacy_coordinate) / _areas(gts[gt_idx], legacy_coordinate)
    return np.column_stack([m, ratio])


def _areas(boxes: np.ndarray, legacy_coordinate: bool) -> np.ndarray:
    extra = 1.0 if legacy_coordinate else 0.0
    boxes = boxes.astype(np.float64)
    return (boxes[:, 2] - boxes[:, 0] + extra) * (boxes[:, 3] - boxes[:, 1] + extra)


def benchmark_table(gts: Sequence[dict], preds: Sequence[List[np.ndarray]], num_classes: int,
                    iou_thr: float, score_thr: float, legacy_coordinate: bool = True) -> dict:
    """Counts behind :class:`BenchmarkMetric` from ``VOCMetric``'s per-image
    ``(gt, dets)`` pairs: ``images``, ``no_det_images``, and per class
    (lists indexed by class) ``num_gts``, ``num_dets`` (scoring
    ``>= score_thr``) and ``matches`` ((p, 5) arrays of
    :func:`match_detections` kept at ``score >= score_thr``)."""
    num_gts = [0] * num_classes
    num_dets = [0] * num_classes
    matches: List[List[np.ndarray]] = [[] for _ in range(num_classes)]
    no_det = 0
    for gt, dets in zip(gts, preds):
        kept = 0
        for c in range(num_classes):
            cls_gts = gt['bboxes'][gt['labels'] == c]
            ignore = gt.get('labels_ignore')
            cls_ignore = gt['bboxes_ignore'][ignore == c] if ignore is not None \
                else np.zeros((0, 4))
            num_gts[c] += len(cls_gts)
            n = int((dets[c][:, -1] >= score_thr).sum())
            num_dets[c] += n
            kept += n
            m = match_detections(dets[c], cls_gts, cls_ignore, iou_thr, legacy_coordinate)
            matches[c].append(m[m[:, 2] >= score_thr])
        no_det += kept == 0
    return dict(images=len(gts), no_det_images=no_det, num_gts=num_gts, num_dets=num_dets,
                matches=[_pooled(m) for m in matches])


def per_class_rows(table: dict, classes: Sequence[str], aps: Sequence[float],
                   mean_ap: float) -> List[dict]:
    """One row per class, then ``all``: ``class, gts, dets, matched, missed,
    fnr, ap, mean_iou`` (nan where a class has no GT)."""
    groups = [(name, table['num_gts'][c], table['num_dets'][c], table['matches'][c], aps[c])
              for c, name in enumerate(classes)]
    groups.append(('all', sum(table['num_gts']), sum(table['num_dets']),
                   _pooled(table['matches']), float(mean_ap)))
    rows = []
    for name, gts, dets, m, ap in groups:
        has_gt = gts > 0
        rows.append({'class': name, 'gts': gts, 'dets': dets, 'matched': len(m),
                     'missed': gts - len(m),
                     'fnr': (gts - len(m)) / gts if has_gt else float('nan'), 'ap': ap,
                     'mean_iou': (float(m[:, 3].mean()) if len(m) else 0.0) if has_gt
                     else float('nan')})
    return rows


def _pooled(matches: Sequence[np.ndarray]) -> np.ndarray:
    return np.concatenate(list(matches)) if len(matches) else np.zeros((0, 5))


def ratio_stats(ratios: np.ndarray) -> List[dict]:
    """The paper's Table 6-7 rows for one set of area ratios: per side
    (:data:`SIDES`) ``count``, ``share`` of all ratios, ``mean``, ``median``,
    ``min``, ``max`` (nan for an empty side)."""
    equal = np.abs(ratios - 1) <= EQUAL_TOL
    masks = dict(bigger=(ratios > 1) & ~equal, smaller=(ratios < 1) & ~equal, equal=equal)
    rows = []
    for side in SIDES:
        r = ratios[masks[side]]
        stats = (r.mean(), np.median(r), r.min(), r.max()) if len(r) else (float('nan'), ) * 4
        rows.append(dict(side=side, count=len(r),
                         share=len(r) / len(ratios) if len(ratios) else float('nan'),
                         **dict(zip(('mean', 'median', 'min', 'max'), map(float, stats)))))
    return rows


def box_ratio_rows(table: dict, classes: Sequence[str]) -> List[dict]:
    """:func:`ratio_stats` for ``all`` classes pooled, then each class; each
    row also holds its ``class``."""
    groups = [('all', _pooled(table['matches']))] + list(zip(classes, table['matches']))
    return [{'class': name, **row} for name, m in groups for row in ratio_stats(m[:, 4])]


PER_CLASS_FIELDS = ('class', 'gts', 'dets', 'matched', 'missed', 'fnr', 'ap', 'mean_iou')
RATIO_FIELDS = ('class', 'side', 'count', 'share', 'mean', 'median', 'min', 'max')


def _pct(v: float) -> str:
    return '-' if np.isnan(v) else f'{100 * v:.2f}%'


def _num(v: float) -> str:
    return '-' if np.isnan(v) else f'{v:.4f}'


def format_report(rows: List[dict], ratio_rows: List[dict], table: dict, iou_thr: float,
                  score_thr: float) -> str:
    """The Markdown report: summary, per-class table, box-area ratio table."""
    overall = rows[-1]
    n, none = table['images'], table['no_det_images']
    lines = [
        f'# Detector benchmark at IoU >= {iou_thr:g}, score >= {score_thr:g}', '',
        f'- mAP (11-point, all detections): {_pct(overall["ap"])}',
        f'- mean IoU of matched detections: {_pct(overall["mean_iou"])}',
        f'- false-negative rate: {_pct(overall["fnr"])} ({overall["missed"]} of '
        f'{overall["gts"]} GT boxes)',
        f'- images with no detection: {_pct(none / n if n else float("nan"))} '
        f'({none} of {n})', '',
        '| Class | GT boxes | Detections | Matched | Missed | FNR | AP (11-point) | Mean IoU |',
        '|---|---|---|---|---|---|---|---|']
    for r in rows:
        lines.append(f'| {r["class"]} | {r["gts"]} | {r["dets"]} | {r["matched"]} | '
                     f'{r["missed"]} | {_pct(r["fnr"])} | {_pct(r["ap"])} | '
                     f'{_pct(r["mean_iou"])} |')
    lines += [
        '', '## Box-area ratio: area(prediction) / area(matched GT) (Tables 6-7)', '',
        '| Class | Side | Predictions | Percentage of predictions | Mean ratio | Median ratio '
        '| Minimum ratio | Maximum ratio |',
        '|---|---|---|---|---|---|---|---|']
    for r in ratio_rows:
        lines.append(f'| {r["class"]} | {r["side"].capitalize()} | {r["count"]} | '
                     f'{_pct(r["share"])} | {_num(r["mean"])} | {_num(r["median"])} | '
                     f'{_num(r["min"])} | {_num(r["max"])} |')
    return '\n'.join(lines) + '\n'


def _write_csv(path: str, fields: Tuple[str, ...], rows: List[dict]) -> None:
    with open(path, 'w', newline='') as f:
        w = csv.writer(f)
        w.writerow(fields)
        for r in rows:
            w.writerow(['' if isinstance(r[k], float) and np.isnan(r[k]) else r[k]
                        for k in fields])


def write_tables(out_dir: str, prefix: Optional[str], report: str, rows: List[dict],
                 ratio_rows: List[dict]) -> List[str]:
    """Write ``{prefix}_report.md``, ``{prefix}_per_class.csv`` and
    ``{prefix}_box_ratio.csv`` (fractions; empty cell for nan) into
    ``out_dir``; returns their paths."""
    os.makedirs(out_dir, exist_ok=True)
    stem = osp.join(out_dir, (prefix or 'bench').replace('/', '_'))
    paths = [f'{stem}_report.md', f'{stem}_per_class.csv', f'{stem}_box_ratio.csv']
    with open(paths[0], 'w') as f:
        f.write(report)
    _write_csv(paths[1], PER_CLASS_FIELDS, rows)
    _write_csv(paths[2], RATIO_FIELDS, ratio_rows)
    return paths


def runner_log_dir() -> Optional[str]:
    """The log directory of the mmengine runner now running
    (``work_dir/<timestamp>``), or None outside a runner.

    A ``Runner`` names its ``MessageHub`` and its ``MMLogger`` after its
    experiment and makes both current; the logger's file lies in the log
    directory. A metric has no handle on the runner, so it goes through these.
    """
    name = MessageHub.get_current_instance().instance_name
    if not MMLogger.check_instance_created(name):
        return None
    log_file = MMLogger.get_instance(name).log_file
    return osp.dirname(osp.abspath(log_file)) if log_file else None
