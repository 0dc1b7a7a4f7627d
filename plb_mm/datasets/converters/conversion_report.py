"""What a converter found, recorded in the COCO file's ``info`` and printed.

Every converter writes ``info`` in one shape::

    info = dict(
        description='...',
        source=dict(format='voc' | 'yolo', root=..., split=..., ...),
        options=dict(tolerance=..., clip=..., min_size=..., dup_iou=...,
                     drop_degenerate=..., drop_duplicates=...),
        summary=dict(split=..., images=..., boxes=..., <counts>),
        issues=dict(degenerate=[...], duplicates=[...], <converter's own>))

Each issue is one record that names the annotation file and the object in it
(``object``: its index among the XML's ``<object>`` elements; ``line``: the
1-based line of a YOLO label file), the image, the class, the COCO ``bbox``
``[x, y, w, h]`` and whether it was ``dropped``. :func:`format_report` turns
``info`` into the lines a tool prints.
"""
import json
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence

from .box_review import BoxReview

__all__ = ['issue_records', 'format_report', 'finish_coco', 'add_review_args',
           'review_kwargs']

# How many records of one kind the printed report lists.
MAX_PRINTED = 20

# summary count -> how the report's first line names it
_COUNTS = {
    'difficult': 'difficult -> iscrowd',
    'clipped': 'clipped to the image',
    'segments': 'polygon rows -> their box',
    'background': 'images with an empty label file',
}


def _xywh(b: Sequence[float]) -> List[float]:
    return [round(float(v), 3) for v in (b[0], b[1], b[2] - b[0], b[3] - b[1])]


def issue_records(review: BoxReview, objects: Sequence[Dict], file: str, image: str,
                  ref: str) -> Dict[str, List[Dict]]:
    """The ``degenerate`` and ``duplicates`` records of one image.

    Args:
        review: :func:`~.box_review.review_boxes` of the image's boxes.
        objects: per box ``name`` (class name), ``bbox`` (x1, y1, x2, y2) and
            ``ref``'s value (the object index or the line number).
        file (str): the annotation file, relative to the data root.
        image (str): the image's ``file_name``.
        ref (str): ``'object'`` or ``'line'``: how a box is named in ``file``.
    """
    def record(k: int) -> Dict:
        obj = objects[k]
        return {'file': file, ref: obj[ref], 'image': image, 'class': obj['name'],
                'bbox': _xywh(obj['bbox']), 'dropped': not review.keep[k]}

    duplicates = []
    for dup in review.duplicates:
        r = record(dup.index)
        r['duplicate_of'] = objects[dup.of][ref]
        r['iou'] = round(dup.iou, 3)
        duplicates.append(r)
    return dict(degenerate=[record(k) for k in review.degenerate], duplicates=duplicates)


def _where(r: Dict) -> str:
    at = f"object {r['object']}" if 'object' in r else f"line {r['line']}"
    return f"{r['file']} {at} ({r['class']})"


def _box(r: Dict) -> str:
    return '[' + ', '.join(f'{v:g}' for v in r['bbox']) + ']'


def _fate(records: List[Dict], option: str) -> str:
    dropped = sum(r['dropped'] for r in records)
    if dropped == len(records):
        return f'dropped ({option})'
    if dropped == 0:
        return f'kept (give {option} to drop them)'
    return f'{dropped} dropped ({option})'


def _listed(records: List[Dict], line) -> List[str]:
    lines = [f'    {line(r)}' for r in records[:MAX_PRINTED]]
    if len(records) > MAX_PRINTED:
        lines.append(f'    ... and {len(records) - MAX_PRINTED} more (all in the file\'s '
                     f'info.issues)')
    return lines


def format_report(out_file: str, info: Dict) -> List[str]:
    """The lines that report one converted split: counts on the first line
    (those of ``_COUNTS`` that are not zero), then every kind of issue found,
    each record on its own line (at most ``MAX_PRINTED`` per kind; the file's
    ``info`` holds them all)."""
    s, opts, issues = info['summary'], info.get('options', {}), info.get('issues', {})
    counts = ', '.join(f'{s[k]} {label}' for k, label in _COUNTS.items() if s.get(k))
    lines = [f"{out_file}: {s['images']} images, {s['boxes']} boxes"
             + (f' ({counts})' if counts else '')]
    deg, dup = issues.get('degenerate', []), issues.get('duplicates', [])
    if deg:
        lines.append(f"  {len(deg)} degenerate box(es), a side under {opts['min_size']:g} px: "
                     f"{_fate(deg, '--drop-degenerate')}")
        lines += _listed(deg, lambda r: f'{_where(r)}: bbox {_box(r)}')
    if dup:
        lines.append(f"  {len(dup)} near-duplicate box(es), IoU > {opts['dup_iou']:g} with an "
                     f"earlier box of the same class: {_fate(dup, '--drop-duplicates')}")
        ref = 'object' if 'object' in dup[0] else 'line'
        lines += _listed(dup, lambda r: f"{_where(r)}: IoU {r['iou']:.3f} with {ref} "
                                        f"{r['duplicate_of']}, bbox {_box(r)}")
    unlabelled = issues.get('unlabelled', [])
    if unlabelled:
        lines.append(f'  {len(unlabelled)} image(s) without a label file, kept as background '
                     f'(no boxes):')
        lines += _listed(unlabelled, str)
    orphans = issues.get('orphan_labels', [])
    if orphans:
        lines.append(f'  {len(orphans)} label file(s) without an image, not converted:')
        lines += _listed(orphans, str)
    return lines


def finish_coco(info: Dict, images: List[Dict], annotations: List[Dict],
                classes: Sequence[str], out_file: Optional[str] = None) -> Dict:
    """The COCO dict of a converted split (categories 1..N in ``classes``'
    order), written to ``out_file`` when given."""
    coco = dict(info=info, images=images, annotations=annotations,
                categories=[dict(id=k + 1, name=c) for k, c in enumerate(classes)])
    if out_file:
        os.makedirs(osp.dirname(osp.abspath(out_file)), exist_ok=True)
        with open(out_file, 'w') as f:
            json.dump(coco, f)
    return coco


def add_review_args(parser) -> None:
    """The box options every converter tool shares (``argparse``)."""
    parser.add_argument('--tolerance', type=float, default=1.0,
                        help='px a box may reach outside its image (clipped) before it is an '
                             'error')
    parser.add_argument('--clip-boxes', action='store_true', help='clip boxes outside the image')
    parser.add_argument('--min-size', type=float, default=2.0,
                        help='a box with a side under this many px is degenerate (default 2; '
                             '0: off)')
    parser.add_argument('--dup-iou', type=float, default=0.8,
                        help='a box with IoU above this with an earlier box of its class is a '
                             'near-duplicate (default 0.8; 1: off)')
    parser.add_argument('--drop-degenerate', action='store_true',
                        help='leave degenerate boxes (a side under --min-size) out')
    parser.add_argument('--drop-duplicates', action='store_true',
                        help='leave near-duplicates out (the first box of each group stays)')


def review_kwargs(args) -> Dict:
    """The converter keyword arguments of the options :func:`add_review_args` adds."""
    return dict(tolerance=args.tolerance, clip=args.clip_boxes, min_size=args.min_size,
                dup_iou=args.dup_iou, drop_degenerate=args.drop_degenerate,
                drop_duplicates=args.drop_duplicates)
