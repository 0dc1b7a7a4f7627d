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


def confusion_matrix(dataset, results: Sequence[dict], iou_thr: float = 0.21,
                     score_thr: float = 0.3, nms_iou_thr: Optional[float] = None) -> np.ndarray:
    """mmdet's ``calculate_confusion_matrix`` of ``results`` (the items of a
    ``tools/test.py --out`` pickle: ``img_id`` and ``pred_instances`` with
    ``bboxes``, ``scores``, ``labels`` tensors) against ``dataset``:
    ``(C + 1, C + 1)`` counts, rows GT class, columns predicted class, last
    row / column background."""
    tool = mmdet_confusion_matrix_tool()
    return tool.calculate_confusion_matrix(_GroundTruth(dataset, results), results,
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
