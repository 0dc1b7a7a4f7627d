"""Box statistics of a COCO annotation file: what the synthetic presets are
matched against (boxes per image, per-class sizes, overlap, COCO size bands).

``tools/analysis_tools/box_stats.py`` prints them for any COCO file, e.g. real
BCCD beside a generated set::

    python tools/analysis_tools/box_stats.py data/BCCD/annotations/bccd_trainval.json \\
        --resize 416 416
"""
from collections import OrderedDict
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

# COCO's area bands (pycocotools ``areaRng``): small < 32^2 <= medium < 96^2 <= large.
SIZE_BANDS = (('small', 0, 32**2), ('medium', 32**2, 96**2), ('large', 96**2, float('inf')))


def _pairwise_iou(boxes: np.ndarray) -> np.ndarray:
    """IoU of every pair of ``(n, 4)`` x1y1x2y2 boxes, diagonal zero."""
    x1 = np.maximum(boxes[:, None, 0], boxes[None, :, 0])
    y1 = np.maximum(boxes[:, None, 1], boxes[None, :, 1])
    x2 = np.minimum(boxes[:, None, 2], boxes[None, :, 2])
    y2 = np.minimum(boxes[:, None, 3], boxes[None, :, 3])
    inter = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
    area = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    iou = inter / np.maximum(area[:, None] + area[None, :] - inter, 1e-9)
    np.fill_diagonal(iou, 0)
    return iou


def box_statistics(coco: dict, resize: Optional[Tuple[int, int]] = None,
                   overlap_iou: float = 0.1) -> Dict:
    """Statistics of the boxes of a COCO dict (``images``, ``annotations``,
    ``categories``).

    Args:
        coco (dict): a loaded COCO annotation file.
        resize (tuple, optional): ``(width, height)``: measure the boxes as
            if every image were resized (not keeping its aspect ratio) to
            that size, as a training pipeline with ``keep_ratio=False`` does.
        overlap_iou (float): a box *overlaps* when its IoU with another box of
            the same image exceeds this.

    Returns:
        dict: ``images``, ``boxes``, ``boxes_per_image`` (mean, min, max),
        ``overlap`` (share of boxes overlapping another), ``border`` (share of
        boxes touching the image border), ``bands`` (share per COCO size band)
        and ``classes``: per category name its ``count``, ``share`` and
        ``sqrt_area`` (p10, median, p90, in pixels).
    """
    images = {img['id']: img for img in coco['images']}
    names = {c['id']: c['name'] for c in coco['categories']}
    per_image: Dict[int, List] = {i: [] for i in images}
    for ann in coco['annotations']:
        if ann.get('iscrowd', 0):
            continue
        img = images[ann['image_id']]
        sx = sy = 1.0
        if resize is not None:
            sx, sy = resize[0] / img['width'], resize[1] / img['height']
        x, y, w, h = ann['bbox']
        per_image[ann['image_id']].append(
            (ann['category_id'], x * sx, y * sy, (x + w) * sx, (y + h) * sy))
    counts = np.array([len(v) for v in per_image.values()])
    cat, overlap, border = [], [], []
    for image_id, rows in per_image.items():
        if not rows:
            continue
        img = images[image_id]
        width = resize[0] if resize else img['width']
        height = resize[1] if resize else img['height']
        arr = np.array(rows, np.float64)
        cat.append(arr)
        overlap.append((_pairwise_iou(arr[:, 1:]) > overlap_iou).any(1))
        border.append((arr[:, 1] <= 0.5) | (arr[:, 2] <= 0.5)
                      | (arr[:, 3] >= width - 0.5) | (arr[:, 4] >= height - 0.5))
    allb = np.concatenate(cat) if cat else np.zeros((0, 5))
    area = (allb[:, 3] - allb[:, 1]) * (allb[:, 4] - allb[:, 2])
    n = max(len(allb), 1)
    stats = OrderedDict(
        images=len(images),
        boxes=int(len(allb)),
        boxes_per_image=(float(counts.mean()) if len(counts) else 0.0,
                         int(counts.min()) if len(counts) else 0,
                         int(counts.max()) if len(counts) else 0),
        overlap=float(np.concatenate(overlap).mean()) if overlap else 0.0,
        border=float(np.concatenate(border).mean()) if border else 0.0,
        bands=OrderedDict((name, float(((area >= lo) & (area < hi)).sum() / n))
                          for name, lo, hi in SIZE_BANDS),
        classes=OrderedDict())
    for cid, name in names.items():
        side = np.sqrt(area[allb[:, 0] == cid])
        stats['classes'][name] = dict(
            count=int(len(side)), share=float(len(side) / n),
            sqrt_area=tuple(float(v) for v in np.percentile(side, (10, 50, 90)))
            if len(side) else (float('nan'),) * 3)
    return stats


def format_statistics(columns: Sequence[Tuple[str, Dict]]) -> str:
    """A Markdown table with one column per ``(title, box_statistics(...))``;
    classes are matched by their position in ``categories``."""
    rows = [('images', lambda s: f"{s['images']}"),
            ('boxes', lambda s: f"{s['boxes']}"),
            ('boxes / image (min-max)',
             lambda s: '{:.1f} ({}-{})'.format(*s['boxes_per_image']))]
    n_cls = max(len(s['classes']) for _, s in columns)
    for k in range(n_cls):
        def cell(s, k=k, part=None):
            items = list(s['classes'].items())
            if k >= len(items):
                return '-'
            name, c = items[k]
            if part == 'share':
                return f"{name} {100 * c['share']:.0f}%"
            p10, med, p90 = c['sqrt_area']
            return f'{med:.0f} ({p10:.0f}-{p90:.0f})'
        rows.append((f'class {k + 1}: share of boxes', lambda s, cell=cell: cell(s, part='share')))
        rows.append((f'class {k + 1}: sqrt(area) px median (p10-p90)', cell))
    rows += [('boxes overlapping another (IoU > 0.1)', lambda s: f"{100 * s['overlap']:.0f}%"),
             ('boxes touching the border', lambda s: f"{100 * s['border']:.0f}%")]
    rows += [(f'{name} (COCO band)', lambda s, name=name: f"{100 * s['bands'][name]:.0f}%")
             for name, _, _ in SIZE_BANDS]
    lines = ['| | ' + ' | '.join(t for t, _ in columns) + ' |',
             '|---|' + '---|' * len(columns)]
    for title, fn in rows:
        lines.append(f'| {title} | ' + ' | '.join(fn(s) for _, s in columns) + ' |')
    return '\n'.join(lines)
