"""Point (centroid) annotations to fixed-size boxes, and the COCO file of a
point-annotated data set.

Pathologists mark a cell by one click on its centre: MITOS-ATYPIA-14 gives
the centroid pixel of each mitosis, the Ki-67 set of the BDE paper a key
point on each tumour cell. A box detector trains on boxes, so each point
becomes a ``box_size`` x ``box_size`` box centred on it, clipped to the image
(the BDE paper, Sections 4.3.1 and 4.4.1: "32 x 32 bounding boxes centered on
all centroids pixels")::

    x1 = clip(x - s/2, 0, W)    x2 = clip(x + s/2, 0, W)
    y1 = clip(y - s/2, 0, H)    y2 = clip(y + s/2, 0, H)

The point is taken as the file gives it, in the continuous pixel coordinates
mmdet uses (pixel ``c`` spans ``[c, c + 1)``); the half pixel between an
integer pixel index and that pixel's centre is below the precision of a click
and is not added. A point near the border gives a smaller box (a point on
the left edge of a 32 px box size: 16 px wide); such boxes are counted as
``clipped``. A point lying outside the image whose box still overlaps the
image is kept (its box clipped) and listed as ``outside``; one so far out that
its box is clipped to zero area is an error naming the file and the line.

Rules shared by the point readers (:mod:`.mitos_atypia`, :mod:`.ki67_points`),
in the spirit of the VOC and YOLO converters:

- Rows are comma-separated (whitespace-separated when a line has no comma);
  blank lines are skipped and line numbers count them; a first row whose
  first two fields are ``x`` and ``y`` is a header. A row with the wrong
  number of fields or a coordinate that is not a finite number is an error
  naming the file and the line.
- Two points of one class whose boxes overlap with IoU above ``dup_iou`` (the
  same cell clicked twice) are near-duplicates: kept and reported, dropped
  with ``drop_duplicates`` (:func:`~.box_review.review_boxes`).
- An image without an annotation file is kept without boxes, counted and
  listed (``unlabelled``); an annotation file without an image is counted and
  listed (``orphan_labels``); an empty annotation file is an image with no
  cells (counted as ``background``).

Each annotation keeps its ``point`` ``[x, y]`` beside the box.
"""
import os
import os.path as osp
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple

from ..image_check import _open_image
from .box_review import review_boxes
from .conversion_report import _listed, finish_coco, format_report, issue_records
from .yolo_txt import YoloFormatError
from .yolo_txt import _float as _yolo_float

__all__ = ['PointFormatError', 'PointRow', 'PointObject', 'PointImage', 'point_to_box',
           'read_point_rows', 'points_to_coco', 'format_point_report', 'add_point_args',
           'point_kwargs']

DEFAULT_BOX_SIZE = 32.


class PointFormatError(ValueError):
    """A point annotation file or row that cannot be converted as it is."""


class PointRow(NamedTuple):
    """One row of a point file: its 1-based ``line``, the point and the
    fields after ``x, y`` as text."""
    line: int
    x: float
    y: float
    extra: Tuple[str, ...]


class PointObject(NamedTuple):
    """One point of an image, ready to become a box: the ``file`` and
    ``line`` it comes from, its class ``name`` and fields for its COCO
    annotation (``extra``, e.g. ``confidence``)."""
    file: str
    line: int
    x: float
    y: float
    name: str
    extra: Dict


class PointImage(NamedTuple):
    """One image of a point-annotated set: the image ``path``, the annotation
    files found for it (none: the image is ``unlabelled``), its points, and
    fields added to its COCO image record (e.g. ``patient``)."""
    path: str
    files: Sequence[str]
    points: Sequence[PointObject]
    fields: Dict


def point_to_box(x: float, y: float, width: float, height: float,
                 box_size: float = DEFAULT_BOX_SIZE,
                 where: str = 'point') -> Tuple[float, float, float, float]:
    """The ``box_size`` x ``box_size`` box centred on ``(x, y)``, clipped to
    the ``width`` x ``height`` image: ``x1 = clip(x - s/2, 0, W)``,
    ``x2 = clip(x + s/2, 0, W)``, likewise in y (module docstring).

    A 100 x 80 image, s = 32: the point (5, 70) gives (0, 54, 21, 80) (clipped
    on the left and at the bottom); (50, 40) gives (34, 24, 66, 56).

    Args:
        x, y (float): the point, in pixels.
        width, height (float): the image size in pixels.
        box_size (float): the side of the box, > 0.
        where (str): names the point in errors (``file: line n``).

    Returns:
        tuple: ``(x1, y1, x2, y2)``.

    Raises:
        PointFormatError: the box clipped to zero area (the point lies
            ``box_size / 2`` or more outside the image), or a box size that is
            not positive.
    """
    if not box_size > 0:
        raise PointFormatError(f'box size must be > 0, got {box_size!r}')
    h, width, height = box_size / 2, float(width), float(height)
    x1, x2 = min(max(x - h, 0.), width), min(max(x + h, 0.), width)
    y1, y2 = min(max(y - h, 0.), height), min(max(y + h, 0.), height)
    if x2 <= x1 or y2 <= y1:
        raise PointFormatError(
            f'{where}: point ({x:g}, {y:g}) lies {box_size / 2:g} px or more outside the '
            f'{width:g}x{height:g} image: its {box_size:g} px box is clipped to zero area '
            f'(x, y swapped, or the wrong image?)')
    return x1, y1, x2, y2


def _float(text: str, what: str, where: str) -> float:
    """``text`` as a finite number (the YOLO reader's check, with this
    module's error)."""
    try:
        return _yolo_float(text, what, where)
    except YoloFormatError as e:
        raise PointFormatError(str(e)) from None


def read_point_rows(path: str, min_fields: int = 2, max_fields: int = 2,
                    layout: str = 'x,y') -> List[PointRow]:
    """The rows of one point file (module docstring: separators, blank lines,
    header).

    Args:
        path (str): the file.
        min_fields, max_fields (int): how many fields a row may have (at
            least the two coordinates).
        layout (str): the row layout as errors name it, e.g.
            ``'x,y[,confidence]'``.

    Raises:
        PointFormatError: a file that is not UTF-8 text, a row with another
            number of fields, or a coordinate that is not a finite number; the
            message names the file and the line.
    """
    try:
        with open(path, encoding='utf-8-sig') as f:
            text = f.read()
    except UnicodeDecodeError as e:
        raise PointFormatError(f'{path}: not a UTF-8 text file (byte {e.start}: {e.reason}); '
                               f'expected rows {layout}') from None
    rows: List[PointRow] = []
    first = True
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        fields = [f.strip() for f in line.split(',')] if ',' in line else line.split()
        if first and [f.lower() for f in fields[:2]] == ['x', 'y']:
            first = False
            continue  # a header
        first = False
        where = f'{path}: line {n}'
        if not min_fields <= len(fields) <= max_fields:
            expected = (f'{min_fields}' if min_fields == max_fields else
                        f'{min_fields} to {max_fields}')
            raise PointFormatError(f'{where}: {len(fields)} field(s), expected {expected} '
                                   f'({layout}): {line.strip()!r}')
        rows.append(PointRow(n, _float(fields[0], 'x', where), _float(fields[1], 'y', where),
                             tuple(fields[2:])))
    return rows


def _rel(path: str, root: str) -> str:
    return osp.relpath(path, root).replace(os.sep, '/')


def points_to_coco(root: str, images: Sequence[PointImage], classes: Sequence[str],
                   source: Dict, description: str, orphan_labels: Sequence[str] = (),
                   out_file: Optional[str] = None, box_size: float = DEFAULT_BOX_SIZE,
                   dup_iou: float = 0.8, drop_duplicates: bool = False,
                   reader_counts: Optional[Dict[str, int]] = None,
                   reader_issues: Optional[Dict[str, List]] = None) -> dict:
    """The COCO data of a point-annotated set, each point a box
    (:func:`point_to_box`); the converters' ``info`` shape
    (:mod:`.conversion_report`).

    Image sizes are read from the files' headers; ``file_name`` and the files
    named in ``info`` are relative to ``root``. Categories are ``1..N`` in
    the order of ``classes``.

    Args:
        root (str): the data set's folder.
        images: the images in output order, with their points.
        classes: the class names; every point's ``name`` is one of them.
        source (dict): ``info['source']`` (format, root, ...).
        description (str): ``info['description']``.
        orphan_labels: annotation files without an image (listed).
        out_file (str, optional): where to write the JSON.
        box_size (float): the side of each point's box, px.
        dup_iou (float): near-duplicate threshold (1: off).
        drop_duplicates (bool): leave near-duplicates out.
        reader_counts (dict, optional): the reader's own counts, added to
            ``info['summary']``.
        reader_issues (dict, optional): the reader's own lists of records, added to
            ``info['issues']`` (and their lengths to the summary).

    Returns:
        dict: the COCO data; ``info['summary']`` counts images, boxes,
        ``clipped``, ``background``, ``unlabelled``, ``orphan_labels``,
        ``outside``, ``duplicates`` and ``dropped``; ``info['issues']`` lists
        ``duplicates``, ``unlabelled``, ``orphan_labels`` and ``outside``
        (points outside their image, each with its file and line).

    Raises:
        PointFormatError: an unreadable image, a point whose box is clipped
            to zero area, a point of a class not in ``classes``.
    """
    classes = list(classes)
    coco_images: List[Dict] = []
    annotations: List[Dict] = []
    reader_issues = reader_issues or {}
    issues = dict(degenerate=[], duplicates=[], unlabelled=[],
                  orphan_labels=[_rel(f, root) for f in orphan_labels], outside=[])
    reader_counts = reader_counts or {}
    counts = dict(clipped=0, background=0)
    for item in images:
        size, problem = _open_image(item.path, 'header')
        if problem:
            raise PointFormatError(f'{item.path}: {problem}')
        W, H = size
        image = dict(id=len(coco_images) + 1, file_name=_rel(item.path, root), width=W,
                     height=H, **item.fields)
        coco_images.append(image)
        if not item.files:
            issues['unlabelled'].append(image['file_name'])
            continue
        counts['background'] += not item.points
        by_file: Dict[str, List[PointObject]] = {}
        for p in item.points:
            by_file.setdefault(p.file, []).append(p)
        for file, points in by_file.items():
            objects = []
            for p in points:
                where = f'{p.file}: line {p.line}'
                if p.name not in classes:
                    raise PointFormatError(f'{where}: class {p.name!r} is not one of {classes}')
                box = point_to_box(p.x, p.y, W, H, box_size, where)
                h = box_size / 2
                counts['clipped'] += (p.x - h < 0 or p.y - h < 0 or p.x + h > W or p.y + h > H)
                if not (0 <= p.x <= W and 0 <= p.y <= H):
                    issues['outside'].append(dict(file=_rel(p.file, root), line=p.line,
                                                  image=image['file_name'],
                                                  point=[p.x, p.y]))
                objects.append(dict(line=p.line, name=p.name, bbox=list(box)))
            review = review_boxes([o['bbox'] for o in objects], [o['name'] for o in objects],
                                  0., dup_iou, False, drop_duplicates)
            records = issue_records(review, objects, _rel(file, root), image['file_name'],
                                    'line')
            issues['duplicates'] += records['duplicates']
            for p, obj, keep in zip(points, objects, review.keep):
                if not keep:
                    continue
                x1, y1, x2, y2 = obj['bbox']
                w, h = round(x2 - x1, 4), round(y2 - y1, 4)
                annotations.append(dict(
                    id=len(annotations) + 1, image_id=image['id'],
                    category_id=classes.index(p.name) + 1,
                    bbox=[round(x1, 4), round(y1, 4), w, h], area=round(w * h, 4), iscrowd=0,
                    point=[p.x, p.y], **p.extra))
    summary = dict(images=len(coco_images), boxes=len(annotations), **counts,
                   unlabelled=len(issues['unlabelled']),
                   orphan_labels=len(issues['orphan_labels']), outside=len(issues['outside']),
                   degenerate=0, duplicates=len(issues['duplicates']),
                   dropped=sum(r['dropped'] for r in issues['duplicates']),
                   **reader_counts, **{k: len(v) for k, v in reader_issues.items()})
    issues.update(reader_issues)
    info = dict(description=description, source=source,
                options=dict(box_size=box_size, min_size=0., dup_iou=dup_iou,
                             drop_duplicates=drop_duplicates),
                summary=summary, issues=issues)
    return finish_coco(info, coco_images, annotations, classes, out_file)


def format_point_report(out_file: str, info: Dict) -> List[str]:
    """:func:`~.conversion_report.format_report`'s lines, then the points that
    lie outside their image."""
    lines = format_report(out_file, info)
    outside = info['issues'].get('outside', [])
    if outside:
        lines.append(f'  {len(outside)} point(s) outside their image, kept with the part of '
                     f'their box inside it (x, y swapped?):')
        lines += _listed(outside, lambda r: f"{r['file']} line {r['line']}: "
                                            f"({r['point'][0]:g}, {r['point'][1]:g}) in "
                                            f"{r['image']}")
    return lines


def add_point_args(parser) -> None:
    """The options the point converter tools share (``argparse``)."""
    parser.add_argument('--box-size', type=float, default=DEFAULT_BOX_SIZE,
                        help='side of the box centred on each point, px (default 32, the BDE '
                             'paper\'s); boxes are clipped to the image')
    parser.add_argument('--dup-iou', type=float, default=0.8,
                        help='two points of a class whose boxes overlap with IoU above this are '
                             'near-duplicates (default 0.8; 1: off)')
    parser.add_argument('--drop-duplicates', action='store_true',
                        help='leave near-duplicates out (the first point of each group stays)')


def point_kwargs(args) -> Dict:
    """The converter keyword arguments of the options :func:`add_point_args` adds."""
    return dict(box_size=args.box_size, dup_iou=args.dup_iou,
                drop_duplicates=args.drop_duplicates)
