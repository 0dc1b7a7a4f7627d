"""YOLO txt labels (Ultralytics, Roboflow exports) to COCO JSON.

The layout most public cell-detection sets come in: one ``.txt`` label file
per image, one object per line, ``class cx cy w h`` with the centre and the
size normalised by the image's width and height, class ids counted from 0,
and the class names in a ``data.yaml``. Two folder layouts are found:

- Ultralytics: ``images/<split>/`` + ``labels/<split>/``;
- Roboflow: ``<split>/images/`` + ``<split>/labels/`` (Roboflow names its
  validation split ``valid``: asking for ``val`` finds ``valid`` and back);

or the image folders that ``data.yaml``'s ``train`` / ``val`` / ``test`` name
(relative to the root; Roboflow's ``../train/images`` is read as
``train/images``, as Ultralytics reads it). As in Ultralytics, an image's label
file is its path with the last ``images`` folder replaced by ``labels`` and the
extension by ``.txt``.

``data.yaml`` is read with PyYAML (a dependency of mmengine, so always
installed): ``names`` as a list or as a ``{id: name}`` mapping, ``nc`` checked
against it when both are given (``nc`` alone gives ``class_0 ...``).

Rules (the VOC converter's, :mod:`~plb_mm.datasets.converters.voc_xml`):
errors name the label file and the line.

- A row with the wrong number of fields, a non-numeric or non-finite field, a
  class id that is not an integer in ``0 .. N-1``, a negative width or height:
  error.
- A box reaching outside the image by more than ``tolerance`` px: error
  unless ``clip`` (Ultralytics clips such boxes silently); within the
  tolerance it is clipped and counted (an overshoot of at most 0.01 px, the
  rounding of normalised coordinates, is clipped without being counted).
- Degenerate boxes (a side under ``min_size`` px) and near-duplicates (IoU
  above ``dup_iou`` with an earlier box of the class; Ultralytics drops exact
  repeats of a row): kept and reported, dropped with ``drop_degenerate`` /
  ``drop_duplicates`` (:mod:`~plb_mm.datasets.converters.box_review`). A box
  with a zero side cannot be trained on (mmdet drops it): error unless
  ``drop_degenerate``.
- An image without a label file: kept as an image without boxes (Ultralytics
  trains on it as background), counted and listed. A label file without an
  image: not converted, counted and listed. An empty label file is a
  background image (counted).
- Polygon rows (``class x1 y1 x2 y2 ... xk yk``, an odd number of fields, at
  least 7: Ultralytics / Roboflow segmentation exports) become the polygon's
  bounding box, as Ultralytics' detection loader makes them; they are counted
  as ``segments``. The polygon itself is not written.

Readers of formats that add columns to the YOLO row (LeukemiaAttri: a region
box and 7 attributes after ``class cx cy w h``) pass ``num_extra`` (the row
then has exactly ``5 + num_extra`` fields; the extra fields reach
:class:`YoloRow` ``.extra`` as text) and ``extra_to_ann``, which turns them
into fields of the COCO annotation.
"""
import math
import os
import os.path as osp
from typing import Callable, Dict, List, NamedTuple, Optional, Sequence, Tuple, Union

from ..image_check import _open_image
from .box_review import review_boxes
from .conversion_report import finish_coco, issue_records

__all__ = [
    'IMG_EXTS', 'YoloFormatError', 'YoloRow', 'YoloData', 'parse_yolo_row', 'read_yolo_labels',
    'load_data_yaml', 'find_yolo_split', 'find_yolo_splits', 'yolo_to_coco'
]

# Image extensions taken as images (Ultralytics' IMG_FORMATS that cv2 reads).
IMG_EXTS = ('.bmp', '.jpeg', '.jpg', '.mpo', '.png', '.tif', '.tiff', '.webp')
SPLITS = ('train', 'val', 'test')
_ALIASES = {'val': ('val', 'valid'), 'valid': ('valid', 'val')}
_FIELDS = ('class', 'cx', 'cy', 'w', 'h')
# px a box may overshoot the image by rounding of its normalised coordinates
# (6 decimals of a 4000 px side: 0.002 px); clipped without being counted.
_ROUNDING = 0.01


class YoloFormatError(ValueError):
    """A label file, row or ``data.yaml`` that cannot be converted as it is."""


class YoloRow(NamedTuple):
    """One parsed row of a label file.

    ``box`` is ``cx, cy, w, h`` normalised by the image size (for a polygon
    row: its bounding box); ``polygon`` the row's normalised ``x, y`` pairs
    when it was one; ``extra`` the fields after the box, as text, when the
    reader asked for ``num_extra`` of them.
    """
    line: int
    class_id: int
    box: Tuple[float, float, float, float]
    polygon: Optional[Tuple[float, ...]] = None
    extra: Tuple[str, ...] = ()


class YoloData(NamedTuple):
    """What ``data.yaml`` says: class ``names`` in id order, the image folders
    of each split key as written, ``path`` if given, and the file itself."""
    names: List[str]
    splits: Dict[str, List[str]]
    path: Optional[str]
    file: str


def _float(text: str, what: str, where: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise YoloFormatError(f'{where}: {what} is not a number: {text!r}') from None
    if not math.isfinite(v):
        raise YoloFormatError(f'{where}: {what} is not finite: {text!r}')
    return v


def parse_yolo_row(fields: Sequence[str], num_classes: int, label_file: str, line: int,
                   num_extra: int = 0) -> YoloRow:
    """Parse the whitespace-split fields of one row.

    Args:
        fields: the row's fields.
        num_classes (int): class ids must lie in ``0 .. num_classes - 1``.
        label_file (str), line (int): where the row is (1-based line), for errors.
        num_extra (int): fields expected after ``class cx cy w h``; rows then
            have exactly ``5 + num_extra`` fields and cannot be polygons.

    Raises:
        YoloFormatError: wrong number of fields, a field that is not a finite
            number, a class id that is not an integer in range, a negative
            width or height; the message names the file and the line.
    """
    where = f'{label_file}: line {line}'
    n = len(fields)
    polygon = None
    if num_extra:
        if n != 5 + num_extra:
            raise YoloFormatError(f'{where}: {n} fields, expected {5 + num_extra} '
                                  f'(class cx cy w h and {num_extra} more)')
    elif n != 5 and (n < 7 or n % 2 == 0):
        hint = ' (a 6th column is usually a confidence: is this a prediction file?)' \
            if n == 6 else ''
        raise YoloFormatError(f'{where}: {n} field(s); a box row has 5 (class cx cy w h), '
                              f'a polygon row 1 + 2k (class x1 y1 ... xk yk, k >= 3){hint}')
    c = _float(fields[0], 'class id', where)
    if c != int(c):
        raise YoloFormatError(f'{where}: class id {fields[0]!r} is not an integer')
    if not 0 <= c < num_classes:
        raise YoloFormatError(f'{where}: class id {int(c)} out of range: {num_classes} '
                              f'class(es) are named (ids 0..{num_classes - 1})')
    if num_extra or n == 5:
        cx, cy, w, h = (_float(f, _FIELDS[k + 1], where) for k, f in enumerate(fields[1:5]))
        if w < 0 or h < 0:
            raise YoloFormatError(f'{where}: negative {"width" if w < 0 else "height"} '
                                  f'(class cx cy w h = {" ".join(fields[:5])})')
    else:
        polygon = tuple(_float(f, f'polygon field {k + 1}', where)
                        for k, f in enumerate(fields[1:]))
        xs, ys = polygon[0::2], polygon[1::2]
        cx, cy = (min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2
        w, h = max(xs) - min(xs), max(ys) - min(ys)
    return YoloRow(line, int(c), (cx, cy, w, h), polygon, tuple(fields[5:5 + num_extra]))


def read_yolo_labels(label_file: str, num_classes: int, num_extra: int = 0) -> List[YoloRow]:
    """The rows of one label file (blank lines skipped; line numbers count
    them). An empty file gives no rows.

    Raises:
        YoloFormatError: a file that is not UTF-8 text, or a bad row
            (:func:`parse_yolo_row`).
    """
    try:
        with open(label_file, encoding='utf-8-sig') as f:
            text = f.read()
    except UnicodeDecodeError as e:
        raise YoloFormatError(f'{label_file}: not a UTF-8 text file (byte {e.start}: '
                              f'{e.reason}); is it a YOLO label file?') from None
    return [parse_yolo_row(line.split(), num_classes, label_file, n, num_extra)
            for n, line in enumerate(text.splitlines(), 1) if line.strip()]


def load_data_yaml(path: str) -> YoloData:
    """Read an Ultralytics / Roboflow ``data.yaml``.

    Raises:
        YoloFormatError: invalid YAML (with its line), not a mapping, no
            ``names`` and no ``nc``, a ``names`` mapping whose keys are not
            ``0 .. N-1``, ``nc`` unequal to the number of names, or a name
            given twice.
    """
    import yaml
    try:
        with open(path, encoding='utf-8') as f:
            data = yaml.safe_load(f)
    except yaml.YAMLError as e:
        mark = getattr(e, 'problem_mark', None)
        at = f' at line {mark.line + 1}' if mark is not None else ''
        raise YoloFormatError(f'{path}: not valid YAML{at}: '
                              f'{getattr(e, "problem", None) or e}') from None
    if not isinstance(data, dict):
        raise YoloFormatError(f'{path}: expected a mapping with names: (and nc:, train:, val:)')
    names, nc = data.get('names'), data.get('nc')
    if names is None and nc is None:
        raise YoloFormatError(f'{path}: no names: (and no nc:); the class names are needed')
    if names is None:
        names = [f'class_{k}' for k in range(int(nc))]
    elif isinstance(names, dict):
        try:
            ids = sorted(int(k) for k in names)
        except (TypeError, ValueError):
            raise YoloFormatError(f'{path}: names: keys must be class ids 0..N-1, got '
                                  f'{list(names)}') from None
        if ids != list(range(len(ids))):
            raise YoloFormatError(f'{path}: names: ids must be 0..{len(ids) - 1} without gaps, '
                                  f'got {ids}')
        names = [names[k] if k in names else names[str(k)] for k in ids]
    elif not isinstance(names, list):
        raise YoloFormatError(f'{path}: names: must be a list or an {{id: name}} mapping')
    names = [str(n).strip() for n in names]
    if nc is not None and int(nc) != len(names):
        raise YoloFormatError(f'{path}: nc: {nc} but {len(names)} names')
    for k, n in enumerate(names):
        if names.index(n) != k:
            raise YoloFormatError(f'{path}: class name {n!r} is given twice '
                                  f'(ids {names.index(n)} and {k})')
    splits = {}
    for key in ('train', 'val', 'valid', 'test'):
        v = data.get(key)
        if v:
            splits[key] = [str(p) for p in (v if isinstance(v, list) else [v])]
    return YoloData(names, splits, data.get('path') and str(data['path']), path)


def _swap_folder(path: str, old: str, new: str) -> Optional[str]:
    """``path`` with its last folder named ``old`` renamed ``new`` (None when
    it has none)."""
    parts = osp.normpath(path).split(os.sep)
    if old not in parts:
        return None
    k = len(parts) - 1 - parts[::-1].index(old)
    return os.sep.join(parts[:k] + [new] + parts[k + 1:])


def _labels_dir(images_dir: str) -> Optional[str]:
    return _swap_folder(images_dir, 'images', 'labels')


def _yaml_candidates(root: str, split: str, data: Optional[YoloData]) -> List[List[str]]:
    """Image folders a split's ``data.yaml`` entry can mean, one list per
    reading (each entry may list several folders)."""
    if data is None:
        return []
    entries = next((data.splits[k] for k in _ALIASES.get(split, (split,)) if k in data.splits),
                   None)
    if not entries:
        return []
    bases = [root]
    if data.path:
        bases.insert(0, data.path if osp.isabs(data.path) else osp.join(root, data.path))
    readings = []
    for base in bases:
        readings.append([osp.normpath(e if osp.isabs(e) else osp.join(base, e))
                         for e in entries])
        readings.append([osp.normpath(osp.join(base, e[3:])) for e in entries
                         if e.startswith('../')])
    return [r for r in readings if r and len(r) == len(entries)]


def find_yolo_split(root: str, split: str,
                    data: Optional[YoloData] = None) -> List[Tuple[str, str]]:
    """The ``(images folder, labels folder)`` pairs of one split.

    Tried in order: the folders ``data.yaml`` names for the split, then
    ``images/<split>`` and ``<split>/images`` under ``root`` (``val`` and
    ``valid`` standing for each other).

    Raises:
        FileNotFoundError: no image folder found (all places tried are
            named), or an image folder without its ``labels`` folder.
    """
    tried = []
    candidates = _yaml_candidates(root, split, data)
    for s in _ALIASES.get(split, (split,)):
        candidates += [[osp.join(root, 'images', s)], [osp.join(root, s, 'images')]]
    for dirs in candidates:
        tried += dirs
        if all(osp.isdir(d) for d in dirs):
            pairs = []
            for d in dirs:
                labels = _labels_dir(d)
                if labels is None or not osp.isdir(labels):
                    raise FileNotFoundError(
                        f'{d}: no labels folder beside it '
                        f'({labels or "the path has no images/ folder"}; label files sit '
                        f'where the path has labels/ for images/)')
                pairs.append((d, labels))
            return pairs
        for d in dirs:
            if osp.isfile(d):
                raise FileNotFoundError(f'{d}: image list files are not read; give the folder '
                                        f'of the images in {data.file if data else "data.yaml"}')
    raise FileNotFoundError(f'{root}: split {split!r} not found; looked for image folders '
                            + ', '.join(dict.fromkeys(tried)))


def find_yolo_splits(root: str, data: Optional[YoloData] = None,
                     splits: Sequence[str] = SPLITS) -> List[str]:
    """Those of ``splits`` that :func:`find_yolo_split` finds."""
    found = []
    for s in splits:
        try:
            find_yolo_split(root, s, data)
        except FileNotFoundError:
            continue
        found.append(s)
    return found


def _walk(folder: str, exts: Sequence[str]) -> List[str]:
    """Files under ``folder`` (recursively) with one of ``exts``, relative, sorted."""
    out = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames.sort()
        for fn in filenames:
            if osp.splitext(fn)[1].lower() in exts:
                out.append(osp.relpath(osp.join(dirpath, fn), folder))
    return sorted(out)


def _rel(path: str, root: str) -> str:
    return osp.relpath(path, root).replace(os.sep, '/')


def yolo_to_coco(root: str, split: str, classes: Optional[Sequence[str]] = None,
                 out_file: Optional[str] = None, data: Union[None, str, YoloData] = None,
                 tolerance: float = 1.0, clip: bool = False, min_size: float = 2.0,
                 dup_iou: float = 0.8, drop_degenerate: bool = False,
                 drop_duplicates: bool = False, num_extra: int = 0,
                 extra_to_ann: Optional[Callable[[YoloRow, str, Dict], Dict]] = None) -> dict:
    """Convert one split of a YOLO-txt data set to COCO.

    Images are every file with an extension in :data:`IMG_EXTS` under the
    split's image folder (recursively, sorted); their size is read from the
    file's header (EXIF orientations 5-8 swap width and height, as the loader
    turns such images upright). ``file_name`` is relative to ``root``, so a
    config uses ``data_root=root`` and ``data_prefix=dict(img='')``.
    Categories are ``1..N`` in the order of the class names.

    Args:
        root (str): the data set's folder.
        split (str): ``train``, ``val`` (or ``valid``), ``test``, or any key
            of ``data.yaml`` / folder name.
        classes (Sequence[str], optional): class names in id order; default:
            ``data.yaml``'s ``names``.
        out_file (str, optional): where to write the JSON.
        data (str | YoloData, optional): ``data.yaml`` (a path, or one read by
            :func:`load_data_yaml`); default ``root/data.yaml`` if it exists.
        tolerance, clip, min_size, dup_iou, drop_degenerate, drop_duplicates:
            as for :func:`~.voc_xml.voc_to_coco`; see the module's rules.
        num_extra (int): extra fields per row (see :func:`parse_yolo_row`).
        extra_to_ann (callable, optional): ``(row, label_file, image) ->
            dict`` of fields added to the row's COCO annotation (``image`` is
            the COCO image record); it may raise :class:`YoloFormatError`
            naming ``label_file`` and ``row.line``.

    Returns:
        dict: the COCO data, also written to ``out_file``; ``info`` holds the
        ``source``, ``options``, a ``summary`` of counts and the ``issues``
        (degenerate, duplicates, unlabelled images, orphan label files).

    Raises:
        YoloFormatError: a bad ``data.yaml`` or row, a box outside its image,
            a zero-area box without ``drop_degenerate``, two images sharing a
            label file, an unreadable image.
        FileNotFoundError: the split's folders are not found.
    """
    if isinstance(data, str):
        data = load_data_yaml(data)
    elif data is None and osp.isfile(osp.join(root, 'data.yaml')):
        data = load_data_yaml(osp.join(root, 'data.yaml'))
    if classes is None:
        if data is None:
            raise FileNotFoundError(f'{root}: no data.yaml; give the class names (classes=, '
                                    f'--classes) or the data.yaml (data=, --data)')
        classes = data.names
    classes = list(classes)
    images: List[Dict] = []
    annotations: List[Dict] = []
    issues: Dict[str, List] = dict(degenerate=[], duplicates=[], unlabelled=[], orphan_labels=[])
    counts = dict(clipped=0, segments=0, background=0)
    pairs = find_yolo_split(root, split, data)
    for images_dir, labels_dir in pairs:
        used: Dict[str, str] = {}  # label file -> image
        for rel in _walk(images_dir, IMG_EXTS):
            img_path = osp.join(images_dir, rel)
            label_file = osp.join(labels_dir, osp.splitext(rel)[0] + '.txt')
            if label_file in used:
                raise YoloFormatError(f'{img_path}: shares its label file {label_file} with '
                                      f'{used[label_file]}; rename one of the images')
            used[label_file] = img_path
            size, problem = _open_image(img_path, 'header')
            if problem:
                raise YoloFormatError(f'{img_path}: {problem}')
            W, H = size
            image = dict(id=len(images) + 1, file_name=_rel(img_path, root), width=W, height=H)
            images.append(image)
            if not osp.isfile(label_file):
                issues['unlabelled'].append(image['file_name'])
                continue
            rows = read_yolo_labels(label_file, len(classes), num_extra)
            counts['background'] += not rows
            objects = []
            for row in rows:
                objects.append(dict(_row_box(row, W, H, label_file, img_path, tolerance, clip,
                                             counts), name=classes[row.class_id]))
                counts['segments'] += row.polygon is not None
            review = review_boxes([o['bbox'] for o in objects], [o['name'] for o in objects],
                                  min_size, dup_iou, drop_degenerate, drop_duplicates)
            for kind, records in issue_records(review, objects, _rel(label_file, root),
                                               image['file_name'], 'line').items():
                issues[kind] += records
            for obj, row, keep in zip(objects, rows, review.keep):
                x1, y1, x2, y2 = obj['bbox']
                if keep and (x2 <= x1 or y2 <= y1):
                    raise YoloFormatError(
                        f'{label_file}: line {row.line}: zero-area box ({x2 - x1:g} x '
                        f'{y2 - y1:g} px): it cannot be trained on; fix the row or give '
                        f'drop_degenerate / --drop-degenerate')
                if not keep:
                    continue
                w, h = round(x2 - x1, 4), round(y2 - y1, 4)
                ann = dict(id=len(annotations) + 1, image_id=image['id'],
                           category_id=row.class_id + 1, bbox=[x1, y1, w, h],
                           area=round(w * h, 4), iscrowd=0)
                if extra_to_ann is not None:
                    ann.update(extra_to_ann(row, label_file, image))
                annotations.append(ann)
        for rel in _walk(labels_dir, ('.txt', )):
            label_file = osp.join(labels_dir, rel)
            if label_file not in used and rel != 'classes.txt':
                issues['orphan_labels'].append(_rel(label_file, root))
    summary = dict(split=split, images=len(images), boxes=len(annotations), **counts,
                   unlabelled=len(issues['unlabelled']),
                   orphan_labels=len(issues['orphan_labels']),
                   degenerate=len(issues['degenerate']), duplicates=len(issues['duplicates']),
                   dropped=sum(r['dropped'] for k in ('degenerate', 'duplicates')
                               for r in issues[k]))
    info = dict(
        description=f'{osp.abspath(root)} {split}: YOLO txt -> COCO (plb_mm yolo2coco)',
        source=dict(format='yolo', root=osp.abspath(root), split=split,
                    images=[_rel(i, root) for i, _ in pairs],
                    labels=[_rel(lb, root) for _, lb in pairs],
                    data_yaml=data.file if data else None),
        options=dict(tolerance=tolerance, clip=clip, min_size=min_size, dup_iou=dup_iou,
                     drop_degenerate=drop_degenerate, drop_duplicates=drop_duplicates),
        summary=summary, issues=issues)
    return finish_coco(info, images, annotations, classes, out_file)


def _row_box(row: YoloRow, W: int, H: int, label_file: str, img_path: str, tolerance: float,
             clip: bool, counts: Dict) -> Dict:
    """The row's box in pixels (``x1, y1, x2, y2``, rounded to 1e-4 px),
    checked against the image; clipping is counted in ``counts['clipped']``."""
    cx, cy, w, h = row.box
    x1, y1, x2, y2 = (round(v, 4) for v in ((cx - w / 2) * W, (cy - h / 2) * H,
                                            (cx + w / 2) * W, (cy + h / 2) * H))
    out = max(-x1, -y1, x2 - W, y2 - H)
    where = f'{label_file}: line {row.line}'
    if out > 0:
        if out > tolerance and not clip:
            hint = ' Values above 1: are the coordinates pixels rather than normalised?' \
                if max(row.polygon or row.box) > 1.5 else ''
            raise YoloFormatError(
                f'{where}: box (x1, y1, x2, y2) = ({x1:g}, {y1:g}, {x2:g}, {y2:g}) px reaches '
                f'{out:g} px outside the {W}x{H} image {img_path} (clip=True / --clip-boxes '
                f'clips such boxes, as Ultralytics does).{hint}')
        x1, y1, x2, y2 = max(x1, 0), max(y1, 0), min(x2, W), min(y2, H)
        counts['clipped'] += out > _ROUNDING
        if x2 < x1 or y2 < y1:
            raise YoloFormatError(f'{where}: box lies wholly outside the {W}x{H} image')
    return dict(line=row.line, bbox=[x1, y1, x2, y2])
