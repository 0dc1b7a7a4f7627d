"""Confusion matrix of a test run's predictions at an IoU, as CSV and PNG.

    python tools/test.py CONFIG CHECKPOINT --out PRED.pkl
    python tools/analysis_tools/confusion_matrix.py CONFIG PRED.pkl OUT_DIR \\
        [--iou-thr 0.21] [--score-thr 0.3] [--nms-iou-thr T] [--cfg-options ...]

Writes OUT_DIR/confusion_matrix.csv (counts; rows GT class, columns predicted
class, last row and column background) and OUT_DIR/confusion_matrix.png
(percentages of each GT row) and prints the counts; then, per class, the
share of GT boxes that have a detection of their class at the IoU at any
score and at --score-thr, with the median best score (OUT_DIR/gt_hits.csv):
a box found but scored low is a calibration miss, not a localisation one. The matrix and the plot
are mmdet's (tools/analysis_tools/confusion_matrix.py, run from the copy
installed with mmdet); see plb_mm/utils/confusion_matrix.py for its counting
rule and what plb_mm adds (pairing by img_id, ignored boxes left out, CSV).
"""
import argparse

from mmengine.config import DictAction
from mmengine.fileio import load
from mmengine.registry import init_default_scope

from plb_mm.apis import load_config
from plb_mm.utils.confusion_matrix import (confusion_matrix, format_confusion_matrix,
                                           format_gt_hits, gt_hits, pair_ground_truth,
                                           write_confusion_matrix, write_gt_hits)


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('config', help='the config the predictions were made with')
    p.add_argument('prediction_path', help='the .pkl of tools/test.py --out')
    p.add_argument('save_dir', help='where to write confusion_matrix.csv and .png')
    p.add_argument('--iou-thr', type=float, default=0.21,
                   help='IoU of a detection with a GT box to count (default 0.21, the kit\'s)')
    p.add_argument('--score-thr', type=float, default=0.3,
                   help='count detections scoring at least this (default 0.3, mmdet\'s)')
    p.add_argument('--nms-iou-thr', type=float, default=None,
                   help='re-run NMS per class at this IoU first (mmdet\'s option)')
    p.add_argument('--color-theme', default='plasma', help='matplotlib colour map')
    p.add_argument('--cfg-options', nargs='+', action=DictAction,
                   help='override config entries, key=value (mmengine syntax)')
    args = p.parse_args()

    import plb_mm  # noqa: F401  (registers plb_mm's data sets)
    from mmdet.registry import DATASETS
    cfg = load_config(args.config, args.cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmdet'))
    dataset = DATASETS.build(cfg.test_dataloader.dataset)
    results = load(args.prediction_path)
    try:
        gt = pair_ground_truth(dataset, results)  # read the test set once for both
        matrix = confusion_matrix(gt, results, iou_thr=args.iou_thr,
                                  score_thr=args.score_thr, nms_iou_thr=args.nms_iou_thr)
        hits = gt_hits(gt, results, iou_thr=args.iou_thr, score_thr=args.score_thr)
    except ValueError as e:
        raise SystemExit(f'error: {args.prediction_path}: {e}')
    classes = dataset.metainfo['classes']
    title = f'Confusion matrix (% of GT row)\nIoU >= {args.iou_thr:g}, score >= {args.score_thr:g}'
    paths = write_confusion_matrix(matrix, classes, args.save_dir, title=title,
                                   color_theme=args.color_theme)
    print(f'\n{args.prediction_path}: {len(results)} images, IoU >= {args.iou_thr:g}, '
          f'score >= {args.score_thr:g}\n')
    print(format_confusion_matrix(matrix, classes))
    print('\nGT boxes and their best own-class detection (found but scored low, or not found):\n')
    print(format_gt_hits(hits, args.iou_thr, args.score_thr))
    paths.append(write_gt_hits(hits, args.save_dir))
    print('\nwritten: ' + ', '.join(paths))


if __name__ == '__main__':
    main()
