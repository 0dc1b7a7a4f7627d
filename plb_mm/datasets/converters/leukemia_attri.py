"""LeukemiaAttri / Sparse-LeukemiaAttri YOLO labels (Rehman et al., the
SLA-Det paper) to COCO with labelled regions and cell attributes.

The data sets (``intelligentMachines-ITU/SLA-Det_large_leukemia_dataset``)
come in the YOLO layout that :mod:`.yolo_txt` reads (``images/<split>/``,
``labels/<split>/``, a ``data.yaml`` with the 14 WBC types), with columns
added to each row. Two row layouts are read, found from the number of fields
of the split's first row (``layout='auto'``) or named:

``regions`` -- 16 fields, the authors' Sparse-LeukemiaAttri export::

    cls cx cy w h  rx1 ry1 rx2 ry2  a1 a2 a3 a4 a5 a6 a7

  ``cls cx cy w h`` as in YOLO (normalised); ``rx1 ry1 rx2 ry2`` the
  labelled patch (region) the cell was annotated in, repeated on every row of
  the patch; ``a1..a7`` the 7 morphological attributes. The authors' loader
  takes exactly 16 columns, and their loss reads columns 6-9 of a target
  (its region) as ``x1, y1, x2, y2`` in pixels (``utils/loss.py``), though
  their README names them ``px1 px2 py1 py2``: ``region_order='xyxy'``
  (default) or ``'xxyy'``, ``region_units='pixels'`` (default, of the image
  file) or ``'normalized'``.
``attributes`` -- 12 fields, ``cls cx cy w h a1..a7`` (LeukemiaAttri, fully
  annotated images; plb_mm's own layout, the authors ship only the 16-column
  one).

Regions (``labeled_regions`` of the COCO image record: ``[[x1, y1, x2, y2],
...]`` in the image's pixels; absent = the whole image is labelled, ``[]`` =
nothing is) come from, by ``regions``:

- ``'rows'`` (the default for the ``regions`` layout): the distinct regions
  of an image's rows. An image without rows (an empty or missing label file)
  gets ``[]``: where its patch lies is not known. Each row's box centre must
  lie in its own region (``check_membership``; within ``tolerance`` px).
- ``'files'`` (the default for the ``attributes`` layout): region files,
  plb_mm's format: ``regions/<split>/<stem>.txt`` beside ``labels/``
  (the label file's path with its last ``labels`` folder replaced by
  ``regions``), one region per line, ``x1 y1 x2 y2`` normalised by the image
  width and height. An image without a region file is labelled whole.
- ``'none'``: no ``labeled_regions`` (fully annotated images, e.g. the
  Sparse-LeukemiaAttri test split, whose region columns carry nothing of use).

Attributes: the 7 columns are, in the paper's words (Sec. 3.3.1, Table 5),
cell size and the 6 that AttriDet / SLA-Det predict and score (Tables 5 and
9): nuclear chromatin (NC), nuclear shape (NS), nucleus (N), cytoplasm (C),
cytoplasmic basophilia (CB), cytoplasmic vacuoles (CV). The authors' code
drops the first column before its attribute head (``cell_training`` trains
on ``labels[:, 1:]``, 6 outputs), and Table 5 lists no cell size, so the
first column is taken to be cell size and the other six to follow Table 5's
order (an assumption: the files carry no header). Each annotation gets
``attributes`` (the 6 of :data:`LEUKEMIA_ATTRIBUTES`, what the attribute
head learns) and ``attributes_raw`` (all 7, :data:`LEUKEMIA_ATTRIBUTES_RAW`).
Values are 0 or 1; ``-1`` and ``2`` (the authors' loader rejects negative
labels, and their attribute loss skips cells with a 2) are unknown and
written as ``-1`` (``unknown_values``).

Errors (:class:`YoloFormatError`) name the label or region file and the
line: a row with the wrong number of fields or a field that is not a finite
number, an unknown class id, an attribute that is not 0, 1 or unknown, a
malformed region (``x2 <= x1`` or ``y2 <= y1``), a region reaching outside
the image by more than ``tolerance`` px (within it: clipped), a row whose box
centre is not in its region, rows of two layouts in one split. Box rules are
:func:`~.yolo_txt.yolo_to_coco`'s.
"""
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple, Union

from .conversion_report import finish_coco
from .yolo_txt import (IMG_EXTS, YoloData, YoloFormatError, YoloRow, _float, _rel,
                       _swap_folder, _walk, find_yolo_split, load_data_yaml, read_yolo_labels,
                       yolo_to_coco)

__all__ = [
    'LEUKEMIA_CLASSES', 'LEUKEMIA_ATTRIBUTES', 'LEUKEMIA_ATTRIBUTES_RAW', 'LEUKEMIA_LAYOUTS',
    'parse_leukemia_attributes', 'parse_region', 'read_region_file', 'leukemia_to_coco'
]

# The authors' data/WBC_v1.yaml, in id order (used when the data set has no
# data.yaml and no classes are given).
LEUKEMIA_CLASSES = ('None', 'Myeloblast', 'Lymphoblast', 'Neutrophil', 'Atypical lymphocyte',
                    'Promonocyte', 'Monoblast', 'Lymphocyte', 'Myelocyte',
                    'Abnormal promyelocyte', 'Monocyte', 'Metamyelocyte', 'Eosinophil',
                    'Basophil')
# The 6 attributes of the paper's Tables 5 and 9 (AttriHead's outputs), in order.
LEUKEMIA_ATTRIBUTES = ('nuclear_chromatin', 'nuclear_shape', 'nucleus', 'cytoplasm',
                       'cytoplasmic_basophilia', 'cytoplasmic_vacuoles')
# The 7 attribute columns of a label row: cell size, then the 6.
LEUKEMIA_ATTRIBUTES_RAW = ('cell_size', ) + LEUKEMIA_ATTRIBUTES
# layout -> fields after ``cls cx cy w h``
LEUKEMIA_LAYOUTS = {'regions': 4 + 7, 'attributes': 7}
_REGION_MODES = ('auto', 'rows', 'files', 'none')


def parse_leukemia_attributes(fields: Sequence[str], where: str,
                              unknown_values: Sequence[int] = (-1, 2)) -> List[int]:
    """The 7 attribute fields as ints: 0, 1, or -1 for any of
    ``unknown_values``.

    Raises:
        YoloFormatError: a field that is not an integer, or an integer other
            than 0, 1 and the unknown values (``where`` names file and line).
    """
    out = []
    for name, text in zip(LEUKEMIA_ATTRIBUTES_RAW, fields):
        v = _float(text, f'attribute {name}', where)
        if v != int(v) or (v not in (0, 1) and int(v) not in unknown_values):
            raise YoloFormatError(
                f'{where}: attribute {name} is {text!r}; expected 0, 1 or unknown '
                f'({", ".join(str(u) for u in unknown_values)})')
        out.append(int(v) if v in (0, 1) else -1)
    return out


def parse_region(fields: Sequence[str], W: int, H: int, where: str, units: str = 'pixels',
                 order: str = 'xyxy', tolerance: float = 1.0) -> List[float]:
    """One region ``[x1, y1, x2, y2]`` in pixels of a ``W x H`` image (rounded
    to 1e-3 px), clipped to the image when it reaches outside by at most
    ``tolerance`` px.

    Args:
        fields: 4 texts, ``x1 y1 x2 y2`` (``order='xyxy'``) or ``x1 x2 y1 y2``
            (``'xxyy'``), in pixels or normalised (``units='normalized'``).

    Raises:
        YoloFormatError: not 4 finite numbers, ``x2 <= x1`` or ``y2 <= y1``,
            or more than ``tolerance`` px outside the image.
    """
    if len(fields) != 4:
        raise YoloFormatError(f'{where}: a region has 4 fields (x1 y1 x2 y2), got {len(fields)}')
    v = [_float(f, 'region coordinate', where) for f in fields]
    x1, y1, x2, y2 = (v[0], v[2], v[1], v[3]) if order == 'xxyy' else v
    if units == 'normalized':
        x1, x2, y1, y2 = x1 * W, x2 * W, y1 * H, y2 * H
    x1, y1, x2, y2 = (round(c, 3) for c in (x1, y1, x2, y2))
    shown = f'region (x1, y1, x2, y2) = ({x1:g}, {y1:g}, {x2:g}, {y2:g}) px'
    if x2 <= x1 or y2 <= y1:
        raise YoloFormatError(f'{where}: malformed {shown}: x2 <= x1 or y2 <= y1'
                              + (' (are the columns x1 x2 y1 y2? give region_order=\'xxyy\')'
                                 if order == 'xyxy' else ''))
    out = max(-x1, -y1, x2 - W, y2 - H)
    if out > tolerance:
        hint = ' Are the coordinates normalised? (region_units=\'normalized\')' \
            if units == 'pixels' and max(v) <= 1 else ''
        raise YoloFormatError(f'{where}: {shown} reaches {out:g} px outside the {W}x{H} '
                              f'image.{hint}')
    return [max(x1, 0.), max(y1, 0.), min(x2, float(W)), min(y2, float(H))]


def read_region_file(path: str, W: int, H: int, tolerance: float = 1.0) -> List[List[float]]:
    """The regions of a region file (one ``x1 y1 x2 y2`` line per region,
    normalised; blank lines skipped), in pixels of a ``W x H`` image."""
    with open(path, encoding='utf-8-sig') as f:
        lines = f.read().splitlines()
    return [parse_region(line.split(), W, H, f'{path}: line {n}', 'normalized', 'xyxy',
                         tolerance) for n, line in enumerate(lines, 1) if line.strip()]


def _inside(x: float, y: float, region: Sequence[float], tolerance: float) -> bool:
    x1, y1, x2, y2 = region
    return x1 - tolerance <= x <= x2 + tolerance and y1 - tolerance <= y <= y2 + tolerance


def _detect_layout(pairs: Sequence[Tuple[str, str]]) -> Tuple[str, Optional[str]]:
    """The layout of the first non-blank row of the split's label files (and
    where it is), or ``('attributes', None)`` when no file has a row."""
    for _, labels_dir in pairs:
        for rel in _walk(labels_dir, ('.txt', )):
            path = osp.join(labels_dir, rel)
            with open(path, encoding='utf-8-sig', errors='replace') as f:
                for n, line in enumerate(f, 1):
                    fields = line.split()
                    if not fields:
                        continue
                    for layout, extra in LEUKEMIA_LAYOUTS.items():
                        if len(fields) == 5 + extra:
                            return layout, f'{path}: line {n}'
                    raise YoloFormatError(
                        f'{path}: line {n}: {len(fields)} fields; a LeukemiaAttri row has 16 '
                        f'(cls cx cy w h rx1 ry1 rx2 ry2 a1..a7) or 12 (cls cx cy w h a1..a7)')
    return 'attributes', None


def _image_label_files(root: str, pairs: Sequence[Tuple[str, str]]) -> Dict[str, str]:
    """COCO ``file_name`` -> the image's label file (as yolo_to_coco pairs them)."""
    return {_rel(osp.join(images_dir, rel), root): osp.join(labels_dir,
                                                            osp.splitext(rel)[0] + '.txt')
            for images_dir, labels_dir in pairs for rel in _walk(images_dir, IMG_EXTS)}


def _regions_from_rows(rows: Sequence[YoloRow], W: int, H: int, label_file: str, units: str,
                       order: str, tolerance: float, check_membership: bool) -> List[List[float]]:
    regions: List[List[float]] = []
    for row in rows:
        where = f'{label_file}: line {row.line}'
        region = parse_region(row.extra[:4], W, H, where, units, order, tolerance)
        cx, cy = row.box[0] * W, row.box[1] * H
        if check_membership and not _inside(cx, cy, region, tolerance):
            raise YoloFormatError(
                f'{where}: the box centre ({cx:g}, {cy:g}) px is not in the row\'s region '
                f'{region} (check_membership=False / --no-membership-check to accept it)')
        if region not in regions:
            regions.append(region)
    return regions


def leukemia_to_coco(root: str, split: str, classes: Optional[Sequence[str]] = None,
                     out_file: Optional[str] = None, data: Union[None, str, YoloData] = None,
                     layout: str = 'auto', regions: str = 'auto', region_units: str = 'pixels',
                     region_order: str = 'xyxy', unknown_values: Sequence[int] = (-1, 2),
                     check_membership: bool = True, tolerance: float = 1.0,
                     **review) -> dict:
    """Convert one split of LeukemiaAttri / Sparse-LeukemiaAttri to COCO.

    Args:
        root, split, classes, out_file, data: as :func:`~.yolo_txt.yolo_to_coco`;
            without ``data.yaml`` and ``classes``: :data:`LEUKEMIA_CLASSES`.
        layout (str): ``'auto'``, ``'regions'`` (16 fields) or
            ``'attributes'`` (12 fields); see the module docstring.
        regions (str): ``'auto'``, ``'rows'``, ``'files'`` or ``'none'``.
        region_units (str): ``'pixels'`` or ``'normalized'`` (region columns).
        region_order (str): ``'xyxy'`` or ``'xxyy'`` (region columns).
        unknown_values: attribute values that mean unknown (written as -1).
        check_membership (bool): a row's box centre must lie in its region.
        tolerance (float): px a box or a region may reach outside the image
            (and a box centre outside its region).
        **review: ``clip``, ``min_size``, ``dup_iou``, ``drop_degenerate``,
            ``drop_duplicates`` of :func:`~.yolo_txt.yolo_to_coco`.

    Returns:
        dict: the COCO data (also written to ``out_file``): image records with
        ``labeled_regions`` (unless ``regions='none'``, or a region-file image
        without a file), annotations with ``attributes`` (6) and
        ``attributes_raw`` (7); ``info`` as yolo_to_coco's plus
        ``attributes``, ``attributes_raw`` (the names), the layout and region
        options and, in ``summary``, ``regions`` (their number),
        ``no_region`` (images given ``[]``) and ``whole`` (images labelled
        whole).
    """
    if layout not in ('auto', *LEUKEMIA_LAYOUTS):
        raise ValueError(f"layout={layout!r}: expected 'auto', 'regions' or 'attributes'")
    if regions not in _REGION_MODES:
        raise ValueError(f'regions={regions!r}: expected one of {_REGION_MODES}')
    if region_units not in ('pixels', 'normalized') or region_order not in ('xyxy', 'xxyy'):
        raise ValueError(f"region_units={region_units!r} / region_order={region_order!r}: "
                         f"expected 'pixels' or 'normalized' / 'xyxy' or 'xxyy'")
    if isinstance(data, str):
        data = load_data_yaml(data)
    elif data is None and osp.isfile(osp.join(root, 'data.yaml')):
        data = load_data_yaml(osp.join(root, 'data.yaml'))
    if classes is None and data is None:
        classes = LEUKEMIA_CLASSES
    pairs = find_yolo_split(root, split, data)
    if layout == 'auto':
        layout, _ = _detect_layout(pairs)
    if regions == 'auto':
        regions = 'rows' if layout == 'regions' else 'files'
    if regions == 'rows' and layout != 'regions':
        raise ValueError("regions='rows' needs the 16-field layout (layout='regions')")
    num_extra = LEUKEMIA_LAYOUTS[layout]

    def attributes(row: YoloRow, label_file: str, image: Dict) -> Dict:
        raw = parse_leukemia_attributes(row.extra[-7:], f'{label_file}: line {row.line}',
                                        unknown_values)
        return dict(attributes=raw[1:], attributes_raw=raw)

    coco = yolo_to_coco(root, split, classes, None, data=data, tolerance=tolerance,
                        num_extra=num_extra, extra_to_ann=attributes, **review)
    label_files = _image_label_files(root, pairs)
    counts = dict(regions=0, no_region=0, whole=0)
    for image in coco['images']:
        label_file = label_files[image['file_name']]
        W, H = image['width'], image['height']
        if regions == 'none':
            counts['whole'] += 1
            continue
        if regions == 'rows':
            rows = read_yolo_labels(label_file, len(coco['categories']), num_extra) \
                if osp.isfile(label_file) else []
            found = _regions_from_rows(rows, W, H, label_file, region_units, region_order,
                                       tolerance, check_membership)
        else:
            region_dir = _swap_folder(osp.dirname(label_file), 'labels', 'regions')
            region_file = region_dir and osp.join(region_dir, osp.basename(label_file))
            if region_file is None or not osp.isfile(region_file):
                counts['whole'] += 1
                continue
            found = read_region_file(region_file, W, H, tolerance)
        image['labeled_regions'] = found
        counts['regions'] += len(found)
        counts['no_region'] += not found
    info = coco['info']
    info['description'] = info['description'].replace('YOLO txt', 'LeukemiaAttri YOLO txt')
    info['source']['format'] = 'leukemia_attri'
    info['options'].update(layout=layout, regions=regions, region_units=region_units,
                           region_order=region_order, unknown_values=list(unknown_values),
                           check_membership=check_membership)
    info['summary'].update(counts)
    info['attributes'] = list(LEUKEMIA_ATTRIBUTES)
    info['attributes_raw'] = list(LEUKEMIA_ATTRIBUTES_RAW)
    return finish_coco(info, coco['images'], coco['annotations'],
                       [c['name'] for c in coco['categories']], out_file)
