from collections import OrderedDict
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger

from mmdet.registry import METRICS
from mmdet.structures.bbox import bbox_overlaps

#: the 6 attributes of SLA-Det's AttriHead, in the paper's Table 5 order
#: (= ``plb_mm.datasets.converters.LEUKEMIA_ATTRIBUTES``)
SLADET_ATTRIBUTES = ('nuclear_chromatin', 'nuclear_shape', 'nucleus', 'cytoplasm',
                     'cytoplasmic_basophilia', 'cytoplasmic_vacuoles')


@METRICS.register_module()
class AttributeF1Metric(BaseMetric):
    r"""F1 of each binary cell attribute predicted on the detected cells
    (SLA-Det / AttriDet, Rehman et al., Tables 5 and 9), over all matched
    cells and per cell class.

    It runs beside the box metric in the same evaluation and reads only what
    the box metric does not: ``gt_instances.attributes`` (LongTensor (n, A),
    1 / 0, or -1 unknown; ``PackSLADetInputs``) and
    ``pred_instances.attributes`` (FloatTensor (m, A), probabilities, written
    by the attribute head)::

        val_evaluator = [
            dict(type='CocoMetric', metric='bbox', ann_file=...),
            dict(type='AttributeF1Metric', score_thr=0.3)]

    **Matching** (per image, class-agnostic by default):

    1. keep the detections with ``score >= score_thr``;
    2. take them in descending score order (ties: in the order the model
       returned them);
    3. each takes, among the ground-truth (GT) boxes not yet taken, the one
       of highest IoU (mmdet's ``bbox_overlaps``, continuous coordinates;
       ties: the first GT), if that IoU is ``>= iou_thr``; otherwise it stays
       unmatched. (COCO's rule; a detection whose best GT is already taken
       may still take the next best free one at ``>= iou_thr``.)

    Every GT box of ``gt_instances`` is a candidate, also those whose
    attributes are all unknown (a detection on a red cell takes the red cell,
    not a white cell next to it). With ``match_class=False`` (default) a
    detection of the wrong type still scores the attributes of the cell it
    covers (the attribute head reads the box, not the label); with
    ``match_class=True`` a detection only matches GT of its own label.
    ``ignored_instances`` (``iscrowd``) take no part. Unmatched detections
    have no GT attributes and count nowhere; unmatched GT count in
    ``coverage`` only.

    **Scoring**: each matched pair contributes, for each attribute ``a``
    whose GT value is known (``!= -1``), the prediction
    ``p_a >= attr_thr`` against the GT value. Over a set of such pairs, with
    TP / FP / FN counted for the positive value (1):

    .. math::

        F1_a = \frac{2 TP}{2 TP + FP + FN}

    i.e. the harmonic mean of the precision and recall of value 1 (binary F1,
    as sklearn's ``f1_score(average='binary')``). It is 0 when there is no
    true positive but a positive was predicted or present; ``nan`` when the
    set holds no known GT value of the attribute, and also when all its known
    GT values are 0 and none was predicted 1 (precision and recall of the
    positive value are both 0/0; sklearn's ``zero_division=np.nan``).

    The sets are (a) all matched cells, and (b) the matched cells of each GT
    class (the class of the matched GT, whatever the detection's label).
    ``chance_macro_F1`` is the macro F1 of the trivial predictor "every
    attribute present" on the same matched cells (per attribute
    ``2p / (1 + p)`` for the prevalence ``p``): the floor a head has to clear.
    ``{attribute}_AUC`` and ``macro_AUC`` (all matched cells only): the ROC
    AUC of the attribute probability, threshold-free; 0.5 says the head has
    not learnt the attribute, whatever F1 its bias buys (:func:`binary_auc`).
    ``macro_F1`` is the mean over the attributes of the set with a value
    (not nan); nan when none has one. ``coverage`` = matched GT / GT, both
    counting only GT with at least one known attribute (the cells that could
    be scored), so a reader knows how many cells the F1 rests on; nan when
    there is no such GT.

    Keys (with the ``attr/`` prefix): ``{attribute}_F1`` for each name in
    ``attribute_names``, ``macro_F1``, ``chance_macro_F1``, ``coverage``; with ``classwise=True``
    also ``{class}/{attribute}_F1``, ``{class}/macro_F1``, ``{class}/chance_macro_F1`` and
    ``{class}/coverage`` for every class of ``dataset_meta['classes']``
    (nan for a class without scored cells). The same numbers are logged as a
    Markdown table (rows: classes, then ``all``; columns: attributes,
    ``macro``, ``coverage``, x100 with one decimal as the paper prints them;
    ``-`` for nan) with the matched / scorable cell counts.

    A sample without ``pred_instances.attributes`` raises ``ValueError``: the
    model has no attribute head, and a metric that quietly reports nothing
    would hide a wrong config. A sample without ``gt_instances.attributes``
    raises as well (the test pipeline needs ``LoadSLADetAnnotations`` and
    ``PackSLADetInputs``, after ``Resize``, so the boxes stay in the original
    frame the predictions are rescaled to).

    Args:
        attribute_names (Sequence[str]): one name per attribute column, in
            order. Defaults to SLA-Det's 6 (Table 5's NC, NS, N, C, CB, CV).
        score_thr (float): detections scoring less are not matched.
            Defaults to 0.3.
        iou_thr (float): IoU of a match (``>=``). Defaults to 0.5.
        attr_thr (float): an attribute is predicted 1 when its probability
            is ``>= attr_thr``. Defaults to 0.5.
        match_class (bool): only match a detection to GT of the same label.
            Defaults to False.
        classwise (bool): also report each GT class. Defaults to True.
        collect_device (str): as ``BaseMetric``. Defaults to 'cpu'.
        prefix (str, optional): key prefix. Defaults to 'attr'.
    """

    default_prefix: Optional[str] = 'attr'

    def __init__(self,
                 attribute_names: Sequence[str] = SLADET_ATTRIBUTES,
                 score_thr: float = 0.3,
                 iou_thr: float = 0.5,
                 attr_thr: float = 0.5,
                 match_class: bool = False,
                 classwise: bool = True,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.attribute_names = tuple(attribute_names)
        if not self.attribute_names or len(set(self.attribute_names)) != len(self.attribute_names):
            raise ValueError(f'AttributeF1Metric: attribute_names must be distinct and not '
                             f'empty, got {attribute_names!r}')
        if not 0 < iou_thr <= 1:
            raise ValueError(f'AttributeF1Metric: iou_thr must be in (0, 1], got {iou_thr!r}')
        self.score_thr = float(score_thr)
        self.iou_thr = float(iou_thr)
        self.attr_thr = float(attr_thr)
        self.match_class = match_class
        self.classwise = classwise

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        """Match each sample's detections to its GT and keep, per GT cell
        with at least one known attribute: its label, whether it was matched,
        its GT attribute row and the binarised prediction of its detection
        (zeros when unmatched)."""
        for sample in data_samples:
            gt, pred = self._instances(sample)
            num_attr = len(self.attribute_names)
            det_of_gt = match_cells(pred['bboxes'], pred['scores'], pred['labels'],
                                    gt['bboxes'], gt['labels'], self.score_thr,
                                    self.iou_thr, self.match_class)
            gt_attr = gt['attributes'].numpy().astype(np.int64).reshape(-1, num_attr)
            pred_pos = pred['attributes'].numpy().reshape(-1, num_attr) >= self.attr_thr
            matched = det_of_gt >= 0
            pred_rows = np.zeros_like(gt_attr, dtype=bool)
            pred_rows[matched] = pred_pos[det_of_gt[matched]]
            prob_rows = np.zeros(gt_attr.shape, np.float64)
            prob_rows[matched] = pred['attributes'].numpy().reshape(-1, num_attr)[
                det_of_gt[matched]]
            scorable = (gt_attr != -1).any(axis=1)
            self.results.append(dict(labels=gt['labels'].numpy()[scorable],
                                     matched=matched[scorable],
                                     gt=gt_attr[scorable],
                                     pred=pred_rows[scorable],
                                     prob=prob_rows[scorable]))

    def _instances(self, sample: dict):
        """The sample's GT and predictions as CPU tensors, checked."""
        name = sample.get('img_path', sample.get('img_id'))
        gt, pred = sample.get('gt_instances') or {}, sample.get('pred_instances') or {}
        if 'attributes' not in pred:
            raise ValueError(
                f'AttributeF1Metric: the predictions of sample {name} have no attributes '
                f'(pred_instances.attributes): the model has no attribute head; give it one '
                f'(SLA-Det\'s AttriHead) or drop AttributeF1Metric from the evaluator')
        if 'attributes' not in gt or 'bboxes' not in gt or 'labels' not in gt:
            raise ValueError(
                f'AttributeF1Metric reads the ground truth from the data samples, and sample '
                f'{name} has no gt_instances.attributes: load them in the test pipeline after '
                f"Resize with dict(type='LoadSLADetAnnotations', with_regions=False) and pack "
                f"with dict(type='PackSLADetInputs')")
        gt = {k: _cpu(gt[k]) for k in ('bboxes', 'labels', 'attributes')}
        pred = {k: _cpu(pred[k]) for k in ('bboxes', 'scores', 'labels', 'attributes')}
        num_attr = len(self.attribute_names)
        for what, rows, count in (('gt_instances', gt['attributes'], len(gt['labels'])),
                                  ('pred_instances', pred['attributes'], len(pred['scores']))):
            if rows.shape != (count, num_attr):
                raise ValueError(
                    f'AttributeF1Metric: {what}.attributes of sample {name} has shape '
                    f'{tuple(rows.shape)}, expected ({count}, {num_attr}) for '
                    f'attribute_names={self.attribute_names}')
        return gt, pred

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        classes = list(self.dataset_meta['classes']) if self.dataset_meta else []
        num_attr = len(self.attribute_names)

        def cat(key: str, dtype, width: Optional[int] = None) -> np.ndarray:
            parts = [np.asarray(r[key], dtype) for r in results]
            shape = (-1, width) if width else (-1, )
            return np.concatenate(parts).reshape(shape) if parts else np.zeros(
                (0, width) if width else (0, ), dtype)

        labels, matched = cat('labels', np.int64), cat('matched', bool)
        gt, pred = cat('gt', np.int64, num_attr), cat('pred', bool, num_attr)
        prob = cat('prob', np.float64, num_attr)

        rows = [attribute_f1_row('all', gt[matched], pred[matched], int(matched.sum()),
                                 len(matched))]
        if self.classwise:
            for c, name in enumerate(classes):
                of_c = labels == c
                sel = of_c & matched
                rows.insert(-1, attribute_f1_row(name, gt[sel], pred[sel], int(sel.sum()),
                                                 int(of_c.sum())))
        out = OrderedDict()
        for row in [rows[-1]] + rows[:-1]:
            key = '' if row['name'] == 'all' else f'{row["name"]}/'
            for attr, f1 in zip(self.attribute_names, row['f1']):
                out[f'{key}{attr}_F1'] = f1
            out[f'{key}macro_F1'] = row['macro']
            out[f'{key}chance_macro_F1'] = row['chance_macro']
            out[f'{key}coverage'] = row['coverage']
            if row['name'] == 'all':  # threshold-free: did the head learn it at all?
                aucs = [binary_auc(gt[matched][:, a], prob[matched][:, a])
                        for a in range(num_attr)]
                for attr, auc in zip(self.attribute_names, aucs):
                    out[f'{attr}_AUC'] = auc
                valid = [v for v in aucs if not np.isnan(v)]
                out['macro_AUC'] = float(np.mean(valid)) if valid else float('nan')
        logger: MMLogger = MMLogger.get_current_instance()
        logger.info('\n' + format_table(rows, self.attribute_names, self.score_thr,
                                        self.iou_thr, self.attr_thr, self.match_class))
        return out


def _cpu(x) -> torch.Tensor:
    return x.detach().cpu() if isinstance(x, torch.Tensor) else torch.as_tensor(np.asarray(x))


@torch.no_grad()
def match_cells(det_bboxes: torch.Tensor, det_scores: torch.Tensor, det_labels: torch.Tensor,
                gt_bboxes: torch.Tensor, gt_labels: torch.Tensor, score_thr: float,
                iou_thr: float, match_class: bool = False) -> np.ndarray:
    """The detection matched to each GT box of one image, by
    :class:`AttributeF1Metric`'s rule (greedy in descending score, each
    detection to the free GT of highest IoU ``>= iou_thr``).

    Args:
        det_bboxes (Tensor): (m, 4) detected boxes ``x1, y1, x2, y2``.
        det_scores (Tensor): (m, ) their scores.
        det_labels (Tensor): (m, ) their labels.
        gt_bboxes (Tensor): (n, 4) GT boxes.
        gt_labels (Tensor): (n, ) GT labels.
        score_thr (float): detections scoring less take no part.
        iou_thr (float): IoU of a match (``>=``).
        match_class (bool): only match boxes of the same label.

    Returns:
        np.ndarray: (n, ) int64, the index of the detection matched to each
        GT box, -1 where none.
    """
    det_of_gt = np.full(len(gt_bboxes), -1, dtype=np.int64)
    scores = det_scores.float().numpy().reshape(-1)
    keep = np.flatnonzero(scores >= score_thr)
    if len(gt_bboxes) == 0 or len(keep) == 0:
        return det_of_gt
    ious = bbox_overlaps(det_bboxes.float().reshape(-1, 4)[keep],
                         gt_bboxes.float().reshape(-1, 4)).numpy()
    if match_class:
        same = det_labels.numpy()[keep][:, None] == gt_labels.numpy()[None, :]
        ious = np.where(same, ious, -1.0)
    for i in np.argsort(-scores[keep], kind='stable'):
        free = np.where(det_of_gt < 0, ious[i], -1.0)
        j = int(free.argmax())
        if free[j] >= iou_thr:
            det_of_gt[j] = keep[i]
    return det_of_gt


def binary_f1(gt: np.ndarray, pred: np.ndarray) -> float:
    """Binary F1 of the positive value: ``2 TP / (2 TP + FP + FN)`` over the
    entries with ``gt != -1``; nan when there is none, or when no positive
    is present or predicted (0/0).

    Args:
        gt (np.ndarray): (k, ) GT values, 1 / 0 / -1 (unknown).
        pred (np.ndarray): (k, ) bool predictions.
    """
    known = gt != -1
    gt, pred = gt[known] == 1, pred[known].astype(bool)
    tp, fp, fn = int((gt & pred).sum()), int((~gt & pred).sum()), int((gt & ~pred).sum())
    denom = 2 * tp + fp + fn
    return 2 * tp / denom if denom > 0 else float('nan')


def binary_auc(gt: np.ndarray, prob: np.ndarray) -> float:
    """Area under the ROC curve of ``prob`` for the positive value over the
    entries with ``gt != -1``: the probability that a cell with the
    attribute scores above one without it (ties count 1/2; Mann-Whitney U
    over average ranks). 0.5 is no separation at all, whatever the
    threshold; nan without both values.

    Args:
        gt (np.ndarray): (k, ) GT values, 1 / 0 / -1 (unknown).
        prob (np.ndarray): (k, ) predicted probabilities.
    """
    known = gt != -1
    pos, p = gt[known] == 1, np.asarray(prob, np.float64)[known]
    n1, n0 = int(pos.sum()), int((~pos).sum())
    if n1 == 0 or n0 == 0:
        return float('nan')
    _, inverse, counts = np.unique(p, return_inverse=True, return_counts=True)
    ranks = (np.cumsum(counts) - (counts - 1) / 2)[inverse]  # 1-based average ranks
    return float((ranks[pos].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def attribute_f1_row(name: str, gt: np.ndarray, pred: np.ndarray, num_matched: int,
                     num_scorable: int) -> dict:
    """One row of the table: F1 of each attribute over the matched cells
    ``gt`` (k, A) / ``pred`` (k, A), their mean over the attributes with a
    value, and the coverage ``num_matched / num_scorable``."""
    f1 = [binary_f1(gt[:, a], pred[:, a]) for a in range(gt.shape[1])]
    valid = [v for v in f1 if not np.isnan(v)]
    # the trivial predictor "every attribute present" on the same cells: F1 =
    # 2p / (1 + p) for a prevalence p, the floor a head has to clear
    chance = [binary_f1(gt[:, a], np.ones(len(gt), bool)) for a in range(gt.shape[1])]
    chance = [v for v in chance if not np.isnan(v)]
    return dict(name=name, f1=f1,
                macro=float(np.mean(valid)) if valid else float('nan'),
                chance_macro=float(np.mean(chance)) if chance else float('nan'),
                coverage=num_matched / num_scorable if num_scorable else float('nan'),
                matched=num_matched, scorable=num_scorable)


def format_table(rows: List[dict], attribute_names: Sequence[str], score_thr: float,
                 iou_thr: float, attr_thr: float, match_class: bool) -> str:
    """The rows as a Markdown table, values x100 with one decimal."""

    def pct(v: float) -> str:
        return '-' if np.isnan(v) else f'{100 * v:.1f}'

    head = ['class'] + list(attribute_names) + ['macro', 'chance', 'coverage', 'matched / cells']
    lines = [f'Attribute F1 (score >= {score_thr:g}, IoU >= {iou_thr:g}, attribute '
             f'p >= {attr_thr:g}, {"same class" if match_class else "class-agnostic"} '
             f'matching; cells: GT with a known attribute)', '',
             '| ' + ' | '.join(head) + ' |', '|' + ' --- |' * len(head)]
    for row in rows:
        cells = [row['name']] + [pct(v) for v in row['f1']] + \
            [pct(row['macro']), pct(row['chance_macro']), pct(row['coverage']),
             f'{row["matched"]} / {row["scorable"]}']
        lines.append('| ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)
