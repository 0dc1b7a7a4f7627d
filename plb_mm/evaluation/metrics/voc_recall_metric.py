from collections import OrderedDict
from typing import List, Optional, Sequence, Union

import numpy as np
import torch
from mmengine.logging import MMLogger

from mmdet.evaluation import VOCMetric
from mmdet.evaluation.functional import eval_map
from mmdet.registry import METRICS


@METRICS.register_module()
class VOCRecallMetric(VOCMetric):
    r"""mmdet's ``VOCMetric`` (11-point interpolated AP by default) with the
    recall the BDE paper reports beside it, per class and mean, for
    COCO-style data sets as well as VOC ones.

    AP is mmdet's ``eval_map`` unchanged (the paper's Eqs. 12-13:
    ``AP = 1/11 sum_{r in {0, 0.1, ..., 1}} max_{r' >= r} p(r')``, greedy
    matching in score order at IoU >= ``iou_thr``, VOC's legacy ``+1`` box
    sides); this class only keeps what ``VOCMetric`` computes and drops: the
    recall of each class.

    Recall is that of the ranked detection list (the paper: "the proportion of
    all positive examples ranked above a given rank"): the matched ground
    truths over all non-ignored ground truths of the class, counting

    - every detection the model returns (``score_thr=None``, the default):
      the end of the precision/recall curve, the "recall" column of mmdet's
      VOC table and of the paper's Tables 1, 2 and 4. It depends on the test
      settings that cut the list: ``test_cfg.rcnn.score_thr`` (0.05 in
      Faster R-CNN) and ``max_per_img`` (100; raise it for images with more
      objects, e.g. Ki-67 patches hold about 100 cells);
    - or only the detections with ``score >= score_thr`` (an operating point,
      e.g. the 0.6 the paper uses to draw its Figure 7).

    Matching is done once on the whole list, so a detection above
    ``score_thr`` is a true positive exactly when it is one in the AP.

    Keys (with the ``pascal_voc/`` prefix): ``mAP`` and ``AP50`` (as
    ``VOCMetric``), ``recall`` (mean over IoU thresholds of the mean over
    classes) and ``recall50``; with ``classwise=True`` also ``{class}_AP50`` and
    ``{class}_recall50`` for each class and IoU threshold. Means run over the
    classes with ground truth (as mmdet's mAP); a class without ground truth
    reports ``nan``. ``AP50`` is rounded to 3 decimals as in ``VOCMetric``;
    ``mAP``, the recalls and the per-class values are not (the paper prints
    percentages with 2 decimals).

    Ground truth is read from the data samples, as ``VOCMetric`` does: the
    test pipeline must load annotations *after* ``Resize`` (so the boxes stay
    in the original frame, where the predictions are rescaled to). A
    ``CocoDataset`` works as it is: ``iscrowd`` boxes arrive as
    ``ignored_instances`` and are ignored (a detection on one is neither a
    true nor a false positive); samples packed without ignore flags get an
    empty ignore set.

    Args:
        iou_thrs (float | list[float]): IoU thresholds. Defaults to 0.5.
        score_thr (float, optional): count only detections scoring at least
            this much in the recall; None counts them all. Defaults to None.
        classwise (bool): also report each class. Defaults to True.
        eval_mode (str): '11points' (the paper, VOC2007) or 'area'.
            Defaults to '11points'.
        (``collect_device``, ``prefix``: ``VOCMetric``; ``metric='recall'`` is
        ``VOCMetric``'s proposal recall, unchanged.)

    Example::

        val_evaluator = dict(type='VOCRecallMetric', iou_thrs=0.5, eval_mode='11points')
        test_evaluator = val_evaluator
    """

    def __init__(self,
                 iou_thrs: Union[float, List[float]] = 0.5,
                 score_thr: Optional[float] = None,
                 classwise: bool = True,
                 scale_ranges: Optional[List[tuple]] = None,
                 metric: Union[str, List[str]] = 'mAP',
                 proposal_nums: Sequence[int] = (100, 300, 1000),
                 eval_mode: str = '11points',
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(iou_thrs=iou_thrs, scale_ranges=scale_ranges, metric=metric,
                         proposal_nums=proposal_nums, eval_mode=eval_mode,
                         collect_device=collect_device, prefix=prefix)
        if scale_ranges is not None and self.metric == 'mAP':
            raise ValueError('VOCRecallMetric: scale_ranges is not supported; use VOCMetric '
                             'for AP by scale')
        self.score_thr = score_thr
        self.classwise = classwise

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        super().process(data_batch, [self._with_ground_truth(s) for s in data_samples])

    @staticmethod
    def _with_ground_truth(data_sample: dict) -> dict:
        """``data_sample`` with an (empty) ``ignored_instances`` where the
        pipeline packed no ignore flags; a clear error where it packed no
        ground truth at all."""
        gt = data_sample.get('gt_instances') or {}
        if 'bboxes' not in gt or 'labels' not in gt:
            raise ValueError(
                'VOCRecallMetric reads the ground truth from the data samples, and sample '
                f"{data_sample.get('img_path', data_sample.get('img_id'))} has none: add "
                "dict(type='LoadAnnotations', with_bbox=True) to the test pipeline after Resize")
        ignored = data_sample.get('ignored_instances') or {}
        if 'bboxes' in ignored and 'labels' in ignored:
            return data_sample
        empty = dict(bboxes=torch.zeros(0, 4), labels=torch.zeros(0, dtype=torch.long))
        return dict(data_sample, ignored_instances=empty)

    def compute_metrics(self, results: list) -> dict:
        if self.metric != 'mAP':
            return super().compute_metrics(results)
        logger: MMLogger = MMLogger.get_current_instance()
        gts, preds = zip(*results)
        classes = list(self.dataset_meta['classes'])
        dataset_type = self.dataset_meta.get('dataset_type')
        dataset_name = 'voc' if dataset_type in ('VOC2007', 'VOC2012') else classes
        eval_results = OrderedDict()
        mean_aps, mean_recalls = [], []
        for iou_thr in self.iou_thrs:
            logger.info(f'\n{"-" * 15}iou_thr: {iou_thr}{"-" * 15}')
            mean_ap, per_class = eval_map(
                preds, gts, iou_thr=iou_thr, dataset=dataset_name, logger=logger,
                eval_mode=self.eval_mode, use_legacy_coordinate=True)
            recalls = [self._recall(res, preds, i) for i, res in enumerate(per_class)]
            with_gt = [r for r, res in zip(recalls, per_class) if res['num_gts'] > 0]
            mean_recall = float(np.mean(with_gt)) if with_gt else 0.0
            mean_aps.append(mean_ap)
            mean_recalls.append(mean_recall)
            tag = f'{int(iou_thr * 100):02d}'
            eval_results[f'AP{tag}'] = round(mean_ap, 3)
            eval_results[f'recall{tag}'] = mean_recall
            if self.classwise:
                for name, res, recall in zip(classes, per_class, recalls):
                    has_gt = res['num_gts'] > 0
                    eval_results[f'{name}_AP{tag}'] = float(res['ap']) if has_gt else float('nan')
                    eval_results[f'{name}_recall{tag}'] = recall if has_gt else float('nan')
        eval_results['recall'] = sum(mean_recalls) / len(mean_recalls)
        eval_results['mAP'] = sum(mean_aps) / len(mean_aps)
        eval_results.move_to_end('recall', last=False)
        eval_results.move_to_end('mAP', last=False)
        return eval_results

    def _recall(self, class_result: dict, preds: Sequence[list], class_idx: int) -> float:
        """Recall of one class from ``eval_map``'s curve: its last point, or
        the point after the last detection scoring ``>= score_thr``.

        ``eval_map`` sorts the class's detections by score; the first ``k`` of
        them are exactly those with ``score >= score_thr`` (ties at the
        threshold all belong to them), so the recall there is ``recall[k-1]``.
        """
        recall = class_result['recall']
        if recall.size == 0:
            return 0.0
        if self.score_thr is None:
            return float(recall[-1])
        scores = np.concatenate([p[class_idx][:, -1] for p in preds])
        k = int((scores >= self.score_thr).sum())
        return float(recall[k - 1]) if k > 0 else 0.0
