"""DeepLesion (NIH, Yan et al. 2018) ``DL_info.csv`` to COCO: the key slices.

The release: ``DL_info.csv`` (one row per lesion) and ``Images_png/`` with a
folder per CT series holding its slices::

    Images_png/000001_01_01/109.png     series 000001_01_01, slice 109

A row's ``File_name`` ``000001_01_01_109.png`` names its key slice (the slice
the radiologist marked): the folder is the name up to the last ``_``, the
file the rest, and the slice number must equal ``Key_slice_index``. Only key
slices are converted (the benchmark paper, Section 2.1, leaves the
neighbouring unmarked slices out); rows of one key slice are one image with
several boxes.

Columns read (the header names them; other columns are ignored):

- ``Bounding_boxes`` ``"x1, y1, x2, y2"``: 1-based inclusive pixel indices
  (DeepLesion's own loader and MULAN subtract 1 and use inclusive boxes), so
  the box is ``[x1 - 1, y1 - 1, x2, y2]`` in mmdet's continuous coordinates,
  as the VOC converter does.
- ``Coarse_lesion_type`` 1..8 (:data:`DEEPLESION_CLASSES`; category id =
  type) or -1. DeepLesion types only the lesions of the validation and test
  splits; every training-split lesion is -1. Typed conversion drops -1 rows
  (the paper, Section 2.1: "we will also ignore this class"), counts them
  (``unknown_type``), leaves out the images left without a box
  (``unknown_type_images``) and lists the images that keep typed boxes but
  lost a -1 lesion (``mixed_images``: that lesion now reads as background).
  With the official split the training file has no image: convert with
  ``class_agnostic`` (one class ``lesion``, every row kept: the universal
  lesion detector's setup) or ``merge_splits`` (one file of the typed
  images, each with ``official_split``, for
  ``tools/misc/kfold_split.py --group-by patient``).
- ``Train_Val_Test`` 1 / 2 / 3: the official patient-level split, one file
  each (``<prefix>_train.json``, ``_val``, ``_test``).
- ``Image_size`` ``"w, h"`` (the slices are square, 512 x 512 nearly all),
  ``Patient_index``, ``Study_index``, ``Series_ID``, ``DICOM_windows``,
  ``Spacing_mm_px_`` and ``Possibly_noisy``: kept in the image record
  (``patient``, ``study``, ``series``, ``key_slice``, ``dicom_window``,
  ``spacing``) and on the annotation (``possibly_noisy``, counted as
  ``noisy``; each annotation also keeps its ``lesion_type`` and CSV
  ``line``).

Pixels: the PNGs are 16-bit, HU + 32768 (:data:`HU_OFFSET`). A pipeline
loads them unchanged (not as 8-bit colour: mmcv's default ``color`` read
would cut them to 8 bits), subtracts the offset and maps a window of HU to
0..255: DeepLesion's paper uses ``[-1024, 3071]`` (:data:`DEFAULT_WINDOW`,
the whole range); the ``DICOM_windows`` column is the radiologist's display
window of that series. :class:`~plb_mm.datasets.transforms.LoadDeepLesionSlice`
does this (:func:`window_slice`).

Errors name the CSV and the line: a header without a needed column, a row
with another number of fields than the header, a field that is not the
expected numbers, a ``File_name`` that does not match ``Key_slice_index``, a
lesion type outside -1..8, a split outside 1..3, an inverted box, a box
reaching outside the image beyond ``tolerance`` (unless ``clip``), two rows
of one image that disagree on its size or split, a missing key slice (unless
``skip_missing``: left out and listed). Degenerate and near-duplicate boxes
are kept and reported, or dropped on request (:mod:`.box_review`).
"""
import csv
import math
import os.path as osp
import re
from collections import Counter
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple

import numpy as np

from .box_review import review_boxes
from .conversion_report import _listed, finish_coco, format_report, issue_records

__all__ = ['DEEPLESION_CLASSES', 'DEEPLESION_SPLITS', 'DEFAULT_WINDOW', 'HU_OFFSET',
           'DeepLesionFormatError', 'LesionRow', 'key_slice_path', 'read_dl_info',
           'deeplesion_to_coco', 'format_deeplesion_report', 'window_slice']

DEEPLESION_CLASSES = ('bone', 'abdomen', 'mediastinum', 'liver', 'lung', 'kidney',
                      'soft_tissue', 'pelvis')
DEEPLESION_SPLITS = {1: 'train', 2: 'val', 3: 'test'}
HU_OFFSET = 32768
DEFAULT_WINDOW = (-1024., 3071.)

_COLUMNS = ('File_name', 'Patient_index', 'Study_index', 'Series_ID', 'Key_slice_index',
            'Bounding_boxes', 'Coarse_lesion_type', 'Possibly_noisy', 'Spacing_mm_px_',
            'Image_size', 'DICOM_windows', 'Train_Val_Test')
_FILE_NAME = re.compile(r'^(\d+_\d+_\d+)_(\d+)\.png$')


class DeepLesionFormatError(ValueError):
    """A ``DL_info.csv`` row that cannot be converted as it is."""


class LesionRow(NamedTuple):
    """One row of ``DL_info.csv`` (module docstring: columns and units)."""
    line: int
    file_name: str          # File_name, e.g. 000001_01_01_109.png
    image: str              # the key slice relative to the data root
    patient: int
    study: int
    series: int
    key_slice: int
    bbox: Tuple[float, ...]  # x1, y1, x2, y2, continuous, 0-based
    lesion_type: int        # 1..8, or -1 (not typed)
    noisy: bool
    size: Tuple[int, int]   # width, height
    window: Tuple[float, ...]  # DICOM_windows, HU
    spacing: Tuple[float, ...]  # mm per pixel x, y; slice interval
    split: int              # 1 train, 2 val, 3 test


def _numbers(text: str, count: int, column: str, where: str) -> List[float]:
    parts = [p.strip() for p in text.split(',')]
    try:
        values = [float(p) for p in parts]
    except ValueError:
        values = []
    if len(values) != count or not all(math.isfinite(v) for v in values):
        raise DeepLesionFormatError(f'{where}: {column} {text!r} is not {count} number(s)')
    return values


def _int(text: str, column: str, where: str) -> int:
    value = _numbers(text, 1, column, where)[0]
    if value != int(value):
        raise DeepLesionFormatError(f'{where}: {column} {text!r} is not an integer')
    return int(value)


def key_slice_path(file_name: str, key_slice: int, image_dir: str = 'Images_png',
                   where: str = '') -> str:
    """The key slice of ``File_name``: ``000001_01_01_109.png`` ->
    ``Images_png/000001_01_01/109.png``.

    Raises:
        DeepLesionFormatError: the name is not ``<series>_<slice>.png`` or its
            slice is not ``key_slice``.
    """
    m = _FILE_NAME.match(file_name)
    if m is None:
        raise DeepLesionFormatError(f'{where}: File_name {file_name!r} is not '
                                    f'<patient>_<study>_<series>_<slice>.png')
    if int(m.group(2)) != key_slice:
        raise DeepLesionFormatError(f'{where}: File_name {file_name!r} names slice '
                                    f'{int(m.group(2))}, Key_slice_index is {key_slice}')
    return f'{image_dir}/{m.group(1)}/{m.group(2)}.png'


def read_dl_info(csv_file: str, image_dir: str = 'Images_png') -> List[LesionRow]:
    """Every row of ``DL_info.csv``, checked (module docstring: errors).

    Raises:
        DeepLesionFormatError: naming ``csv_file`` and the line.
    """
    rows: List[LesionRow] = []
    with open(csv_file, newline='') as f:
        reader = csv.reader(f)
        header = next(reader, None)
        if header is None:
            raise DeepLesionFormatError(f'{csv_file}: empty file')
        header = [h.strip() for h in header]
        missing = [c for c in _COLUMNS if c not in header]
        if missing:
            raise DeepLesionFormatError(f'{csv_file}: line 1: header lacks {missing} '
                                        f'(DL_info.csv expected)')
        col = {c: header.index(c) for c in _COLUMNS}
        for fields in reader:
            where = f'{csv_file}: line {reader.line_num}'
            if not fields or not any(x.strip() for x in fields):
                continue
            if len(fields) != len(header):
                raise DeepLesionFormatError(
                    f'{where}: {len(fields)} fields, the header has {len(header)} (a field '
                    f'holding commas must be quoted)')
            get = {c: fields[i].strip() for c, i in col.items()}
            key_slice = _int(get['Key_slice_index'], 'Key_slice_index', where)
            image = key_slice_path(get['File_name'], key_slice, image_dir, where)
            x1, y1, x2, y2 = _numbers(get['Bounding_boxes'], 4, 'Bounding_boxes', where)
            if x2 < x1 or y2 < y1:
                raise DeepLesionFormatError(f'{where}: Bounding_boxes {get["Bounding_boxes"]!r}'
                                            f' is inverted (x2 < x1 or y2 < y1)')
            lesion_type = _int(get['Coarse_lesion_type'], 'Coarse_lesion_type', where)
            if lesion_type != -1 and not 1 <= lesion_type <= len(DEEPLESION_CLASSES):
                raise DeepLesionFormatError(f'{where}: Coarse_lesion_type {lesion_type} is not '
                                            f'-1 or 1..{len(DEEPLESION_CLASSES)}')
            split = _int(get['Train_Val_Test'], 'Train_Val_Test', where)
            if split not in DEEPLESION_SPLITS:
                raise DeepLesionFormatError(f'{where}: Train_Val_Test {split} is not 1, 2 or 3')
            w, h = _numbers(get['Image_size'], 2, 'Image_size', where)
            if w <= 0 or h <= 0 or w != int(w) or h != int(h):
                raise DeepLesionFormatError(f'{where}: Image_size {get["Image_size"]!r} is not '
                                            f'two positive integers')
            rows.append(LesionRow(
                reader.line_num, get['File_name'], image,
                _int(get['Patient_index'], 'Patient_index', where),
                _int(get['Study_index'], 'Study_index', where),
                _int(get['Series_ID'], 'Series_ID', where), key_slice,
                (x1 - 1, y1 - 1, x2, y2), lesion_type,
                bool(_int(get['Possibly_noisy'], 'Possibly_noisy', where)), (int(w), int(h)),
                tuple(_numbers(get['DICOM_windows'], 2, 'DICOM_windows', where)),
                tuple(_numbers(get['Spacing_mm_px_'], 3, 'Spacing_mm_px_', where)), split))
    return rows


def _in_image(row: LesionRow, csv_name: str, tolerance: float, clip: bool
              ) -> Tuple[List[float], bool]:
    """The row's box clipped to its image, and whether it was clipped."""
    x1, y1, x2, y2 = row.bbox
    w, h = row.size
    out = max(-x1, -y1, x2 - w, y2 - h)
    if out <= 0:
        return [x1, y1, x2, y2], False
    if out > tolerance and not clip:
        raise DeepLesionFormatError(
            f'{csv_name}: line {row.line}: box (x1, y1, x2, y2) = ({x1:g}, {y1:g}, {x2:g}, '
            f'{y2:g}) (0-based) reaches {out:g} px outside the {w}x{h} image {row.file_name} '
            f'(pass clip=True / --clip-boxes to clip such boxes)')
    box = [max(x1, 0.), max(y1, 0.), min(x2, float(w)), min(y2, float(h))]
    if box[2] <= box[0] or box[3] <= box[1]:
        raise DeepLesionFormatError(f'{csv_name}: line {row.line}: box lies wholly outside '
                                    f'the image {row.file_name}')
    return box, True


def _group_images(rows: Sequence[LesionRow], csv_name: str) -> Dict[str, List[LesionRow]]:
    """Rows by key slice, in first-seen order; rows of one image must agree
    on its size and split."""
    images: Dict[str, List[LesionRow]] = {}
    for row in rows:
        first = images.setdefault(row.file_name, [row])[0]
        if first is row:
            continue
        for what, a, b in (('Image_size', first.size, row.size),
                           ('Train_Val_Test', first.split, row.split)):
            if a != b:
                raise DeepLesionFormatError(f'{csv_name}: line {row.line}: {row.file_name} '
                                            f'has {what} {b}, line {first.line} gives {a}')
        images[row.file_name].append(row)
    return images


def deeplesion_to_coco(root: str, csv_file: Optional[str] = None, out_dir: Optional[str] = None,
                       class_agnostic: bool = False, merge_splits: bool = False,
                       image_dir: str = 'Images_png', check_images: bool = True,
                       skip_missing: bool = False, prefix: Optional[str] = None,
                       tolerance: float = 1.0, clip: bool = False, min_size: float = 2.0,
                       dup_iou: float = 0.8, drop_degenerate: bool = False,
                       drop_duplicates: bool = False) -> Dict[str, dict]:
    """Convert ``DL_info.csv`` to one COCO file per official split (module
    docstring: columns, rules, errors).

    ``file_name`` is relative to ``root`` (``Images_png/<series>/<slice>.png``):
    a config uses ``data_root=root``, ``data_prefix=dict(img='')``.

    Args:
        root (str): the DeepLesion folder (``DL_info.csv``, ``Images_png/``).
        csv_file (str, optional): default ``root/DL_info.csv``.
        out_dir (str, optional): where the files go; None writes nothing.
        class_agnostic (bool): one class ``lesion``; -1 rows kept.
        merge_splits (bool): one file ``<prefix>_all.json``; each image keeps
            ``official_split``.
        image_dir (str): the slices' folder under ``root``.
        check_images (bool): require each converted key slice to exist.
        skip_missing (bool): leave images without their file out (listed as
            ``missing_images``) instead of stopping.
        prefix (str, optional): file prefix; default ``deeplesion`` (typed)
            or ``deeplesion_lesion`` (class-agnostic).
        tolerance, clip, min_size, dup_iou, drop_degenerate, drop_duplicates:
            as for :func:`~.voc_xml.voc_to_coco`.

    Returns:
        dict: split name -> COCO data; ``info`` as the other converters
        write it, with ``out_file`` (None for a split left with no image,
        which is not written) and the counts ``unknown_type``,
        ``unknown_type_images``, ``mixed_images``, ``noisy``,
        ``missing_images`` and ``per_class`` in its summary.

    Raises:
        DeepLesionFormatError: see the module docstring.
        FileNotFoundError: no CSV; a missing key slice (without
            ``skip_missing``).
    """
    csv_file = csv_file or osp.join(root, 'DL_info.csv')
    if not osp.isfile(csv_file):
        raise FileNotFoundError(f'{csv_file}: DL_info.csv not found')
    csv_name = osp.basename(csv_file)
    classes = ['lesion'] if class_agnostic else list(DEEPLESION_CLASSES)
    prefix = prefix or ('deeplesion_lesion' if class_agnostic else 'deeplesion')
    by_image = _group_images(read_dl_info(csv_file, image_dir), csv_file)
    split_of = {name: ('all' if merge_splits else DEEPLESION_SPLITS[rows[0].split])
                for name, rows in by_image.items()}
    names = ['all'] if merge_splits else [DEEPLESION_SPLITS[k] for k in sorted(
        {rows[0].split for rows in by_image.values()})]
    out: Dict[str, dict] = {}
    for split in names:
        images, annotations = [], []
        issues: Dict[str, list] = dict(degenerate=[], duplicates=[], mixed_images=[],
                                       missing_images=[])
        counts = Counter()
        for name, rows in by_image.items():
            if split_of[name] != split:
                continue
            kept = rows if class_agnostic else [r for r in rows if r.lesion_type != -1]
            counts['unknown_type'] += len(rows) - len(kept)
            if not kept:
                counts['unknown_type_images'] += 1
                continue
            first = rows[0]
            if check_images and not osp.isfile(osp.join(root, first.image)):
                if not skip_missing:
                    raise FileNotFoundError(f'{csv_file}: line {first.line}: key slice '
                                            f'{osp.join(root, first.image)} not found '
                                            f'(skip_missing / --skip-missing leaves it out)')
                issues['missing_images'].append(first.image)
                continue
            if len(kept) < len(rows):
                issues['mixed_images'].append(first.image)
            objects = []
            for r in kept:
                box, clipped = _in_image(r, csv_name, tolerance, clip)
                counts['clipped'] += clipped
                cls = classes[0] if class_agnostic else DEEPLESION_CLASSES[r.lesion_type - 1]
                objects.append(dict(name=cls, bbox=box, line=r.line, row=r))
            review = review_boxes([o['bbox'] for o in objects], [o['name'] for o in objects],
                                  min_size, dup_iou, drop_degenerate, drop_duplicates)
            for kind, records in issue_records(review, objects, csv_name, first.image,
                                               'line').items():
                issues[kind] += records
            img = dict(id=len(images) + 1, file_name=first.image, width=first.size[0],
                       height=first.size[1], patient=first.patient, study=first.study,
                       series=first.series, key_slice=first.key_slice,
                       dicom_window=list(first.window), spacing=list(first.spacing))
            if merge_splits:
                img['official_split'] = DEEPLESION_SPLITS[first.split]
            images.append(img)
            for obj, keep in zip(objects, review.keep):
                if not keep:
                    continue
                r, (x1, y1, x2, y2) = obj['row'], obj['bbox']
                counts['noisy'] += r.noisy
                counts[obj['name']] += 1
                annotations.append(dict(
                    id=len(annotations) + 1, image_id=img['id'],
                    category_id=classes.index(obj['name']) + 1,
                    bbox=[x1, y1, x2 - x1, y2 - y1], area=(x2 - x1) * (y2 - y1), iscrowd=0,
                    lesion_type=r.lesion_type, possibly_noisy=int(r.noisy), line=r.line))
        out_file = osp.join(out_dir, f'{prefix}_{split}.json') if out_dir and images else None
        summary = dict(
            split=split, images=len(images), boxes=len(annotations), clipped=counts['clipped'],
            degenerate=len(issues['degenerate']), duplicates=len(issues['duplicates']),
            dropped=sum(r['dropped'] for k in ('degenerate', 'duplicates') for r in issues[k]),
            unknown_type=counts['unknown_type'], unknown_type_images=counts['unknown_type_images'],
            mixed_images=len(issues['mixed_images']), noisy=counts['noisy'],
            missing_images=len(issues['missing_images']),
            per_class={c: counts[c] for c in classes})
        info = dict(
            description=f'{osp.abspath(csv_file)} {split}: DeepLesion key slices -> COCO '
                        f'(plb_mm deeplesion2coco)',
            source=dict(format='deeplesion', root=osp.abspath(root), csv=osp.abspath(csv_file),
                        image_dir=image_dir, split=split, class_agnostic=class_agnostic,
                        merge_splits=merge_splits, box_convention='1-based inclusive -> '
                        '[x1 - 1, y1 - 1, x2, y2]', hu_offset=HU_OFFSET),
            options=dict(tolerance=tolerance, clip=clip, min_size=min_size, dup_iou=dup_iou,
                         drop_degenerate=drop_degenerate, drop_duplicates=drop_duplicates,
                         check_images=check_images, skip_missing=skip_missing),
            summary=summary, issues=issues, out_file=out_file)
        out[split] = finish_coco(info, images, annotations, classes, out_file)
    return out


def format_deeplesion_report(split: str, info: Dict) -> List[str]:
    """The lines that report one split of :func:`deeplesion_to_coco`: the
    converters' report, the boxes per class and the DeepLesion counts; one
    line saying why when the split was left with no image (such a split is
    not written)."""
    s = info['summary']
    if not s['images']:
        why = []
        if s['unknown_type']:
            why.append(f"{s['unknown_type']} lesion(s) of type -1 dropped; DeepLesion types only "
                       f"val and test lesions: --class-agnostic or --merge-splits")
        if s['missing_images']:
            why.append(f"{s['missing_images']} image(s) without their key slice")
        return [f"{split}: no image left, not written ({'; '.join(why)})"]
    lines = format_report(info['out_file'] or f'{split} (not written)', info)
    lines.append('  per class: ' + ', '.join(f'{c} {n}' for c, n in s['per_class'].items()))
    if s['unknown_type']:
        lines.append(f"  {s['unknown_type']} lesion(s) of type -1 dropped "
                     f"({s['unknown_type_images']} image(s) left with none, not converted; "
                     f"{s['mixed_images']} image(s) keep typed lesions beside a dropped one)")
    if s['noisy']:
        lines.append(f"  {s['noisy']} box(es) marked Possibly_noisy (kept; annotation field "
                     f"possibly_noisy)")
    if s['missing_images']:
        lines.append(f"  {s['missing_images']} image(s) without their key slice left out:")
        lines += _listed(info['issues']['missing_images'], str)
    return lines


def window_slice(png: np.ndarray, window: Sequence[float] = DEFAULT_WINDOW) -> np.ndarray:
    """A DeepLesion slice (uint16, HU + :data:`HU_OFFSET`) as uint8: HU
    ``window[0]`` and below -> 0, ``window[1]`` and above -> 255, linear
    between, rounded. In the default window ``[-1024, 3071]``: -1024 HU
    (PNG 31744) -> 0, 3071 HU (PNG 35839) -> 255, 1024 HU (PNG 33792) ->
    2048 * 255 / 4095 = 127.53 -> 128."""
    lo, hi = float(window[0]), float(window[1])
    if not hi > lo:
        raise ValueError(f'window {tuple(window)}: expected low < high (HU)')
    hu = png.astype(np.float32) - HU_OFFSET
    return np.rint((np.clip(hu, lo, hi) - lo) * (255. / (hi - lo))).astype(np.uint8)
