"""Pascal VOC layout (``Annotations/*.xml``, ``ImageSets/Main/<split>.txt``,
``JPEGImages/``) to COCO JSON: BCCD's release and VOC 2007 use it.

What cannot be converted as it is stops the conversion with an error naming
the file and the object (malformed XML, a missing field, an unknown class, an
inverted box, a box outside the image beyond the tolerance unless clipping is
asked for, a listed image without its XML or image file). What converts but is
suspect is kept, reported and recorded in the COCO file's ``info``, or dropped
on request: degenerate and near-duplicate boxes
(:mod:`~plb_mm.datasets.converters.box_review`).
"""
import difflib
import os.path as osp
import xml.etree.ElementTree as ET
from typing import Dict, List, Optional, Sequence

from .box_review import review_boxes
from .conversion_report import finish_coco, issue_records

__all__ = ['PRESETS', 'VOCFormatError', 'parse_voc_xml', 'voc_to_coco']

PRESETS = {
    'bccd': dict(classes=('RBC', 'WBC', 'Platelets'), splits=('train', 'val', 'test'),
                 prefix='bccd'),
    'voc07': dict(classes=('aeroplane', 'bicycle', 'bird', 'boat', 'bottle', 'bus', 'car',
                           'cat', 'chair', 'cow', 'diningtable', 'dog', 'horse', 'motorbike',
                           'person', 'pottedplant', 'sheep', 'sofa', 'train', 'tvmonitor'),
                  splits=('trainval', 'test'), prefix='voc07'),
}


class VOCFormatError(ValueError):
    """A VOC XML file or split list that cannot be converted as it is."""


def _text(node, tag: str, xml_file: str, what: str = '') -> str:
    child = node.find(tag)
    if child is None or child.text is None or not child.text.strip():
        raise VOCFormatError(f'{xml_file}: {what}missing <{tag}>')
    return child.text.strip()


def _number(node, tag: str, xml_file: str, what: str = '') -> float:
    value = _text(node, tag, xml_file, what)
    try:
        return float(value)
    except ValueError:
        raise VOCFormatError(f'{xml_file}: {what}<{tag}> is not a number: {value!r}') from None


def parse_voc_xml(xml_file: str, classes: Sequence[str], tolerance: float = 1.0,
                  clip: bool = False) -> dict:
    """Read one VOC annotation.

    Boxes are converted from VOC's 1-based inclusive pixel indices to
    continuous coordinates: ``[xmin - 1, ymin - 1, xmax, ymax]``. A box reaching
    past the image by at most ``tolerance`` px is clipped (counted in
    ``clipped``); further out it is an error unless ``clip``.

    Returns:
        dict: ``width``, ``height``, ``objects`` (``name``, ``bbox`` x1y1x2y2,
        ``difficult``) and ``clipped`` (number of boxes clipped).

    Raises:
        VOCFormatError: malformed XML, missing fields, an unknown class name,
            an empty box, or a box outside the image; the message names the
            file and the object.
    """
    try:
        root = ET.parse(xml_file).getroot()
    except ET.ParseError as e:
        raise VOCFormatError(f'{xml_file}: malformed XML ({e})') from None
    size = root.find('size')
    if size is None:
        raise VOCFormatError(f'{xml_file}: missing <size>')
    W, H = _number(size, 'width', xml_file, '<size> '), _number(size, 'height', xml_file, '<size> ')
    if W <= 0 or H <= 0:
        raise VOCFormatError(f'{xml_file}: image size {W}x{H} is not positive')
    objects, clipped = [], 0
    for k, obj in enumerate(root.findall('object')):
        name = _text(obj, 'name', xml_file, f'object {k}: ')
        what = f'object {k} ({name}): '
        if name not in classes:
            close = difflib.get_close_matches(name, classes, n=1, cutoff=0.6) or \
                [c for c in classes if c.lower() == name.lower()]
            hint = f' (did you mean {close[0]!r}?)' if close else ''
            raise VOCFormatError(f'{xml_file}: {what}unknown class {name!r}{hint}; '
                                 f'known: {list(classes)}')
        box = obj.find('bndbox')
        if box is None:
            raise VOCFormatError(f'{xml_file}: {what}missing <bndbox>')
        x1, y1, x2, y2 = (_number(box, t, xml_file, what) for t in ('xmin', 'ymin', 'xmax', 'ymax'))
        x1, y1 = x1 - 1, y1 - 1
        if x2 <= x1 or y2 <= y1:
            raise VOCFormatError(f'{xml_file}: {what}empty box (xmin, ymin, xmax, ymax) = '
                                 f'({x1 + 1:g}, {y1 + 1:g}, {x2:g}, {y2:g})')
        out = max(-x1, -y1, x2 - W, y2 - H)
        if out > 0:
            if out > tolerance and not clip:
                raise VOCFormatError(
                    f'{xml_file}: {what}box (xmin, ymin, xmax, ymax) = ({x1 + 1:g}, {y1 + 1:g}, '
                    f'{x2:g}, {y2:g}) reaches {out:g} px outside the {W:g}x{H:g} image '
                    f'(pass clip=True / --clip-boxes to clip such boxes)')
            x1, y1, x2, y2 = max(x1, 0), max(y1, 0), min(x2, W), min(y2, H)
            clipped += 1
            if x2 <= x1 or y2 <= y1:
                raise VOCFormatError(f'{xml_file}: {what}box lies wholly outside the image')
        difficult = obj.find('difficult')
        difficult = difficult is not None and bool(difficult.text and difficult.text.strip()) \
            and bool(_number(obj, 'difficult', xml_file, what))
        objects.append(dict(name=name, bbox=[x1, y1, x2, y2], difficult=difficult))
    return dict(width=int(W), height=int(H), objects=objects, clipped=clipped)


def _read_split(split_file: str) -> List[str]:
    """Image ids of a split list; a repeated id is an error naming both lines."""
    ids: List[str] = []
    seen: Dict[str, int] = {}
    with open(split_file) as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            img_id = line.split()[0]
            if img_id in seen:
                raise VOCFormatError(f'{split_file}: line {n}: image {img_id!r} is listed '
                                     f'again (first on line {seen[img_id]})')
            seen[img_id] = n
            ids.append(img_id)
    return ids


def voc_to_coco(root: str, split: str, classes: Sequence[str], out_file: Optional[str] = None,
                tolerance: float = 1.0, clip: bool = False, img_ext: str = '.jpg',
                min_size: float = 2.0, dup_iou: float = 0.8, drop_degenerate: bool = False,
                drop_duplicates: bool = False) -> dict:
    """Convert one split of a VOC-layout folder to COCO.

    ``file_name`` of each image is relative to ``root`` (``JPEGImages/<id>.jpg``),
    so a config uses ``data_root=root`` and ``data_prefix=dict(img='')``.
    ``difficult`` objects get ``iscrowd=1`` (ignored by mmdet and by COCO
    evaluation). Every listed image must have its XML and its image file.

    Degenerate boxes (a side under ``min_size`` px) and near-duplicates (IoU
    above ``dup_iou`` with an earlier box of the same class; see
    :func:`~.box_review.review_boxes`) are kept unless ``drop_degenerate`` /
    ``drop_duplicates``; either way each one is listed in ``info['issues']``
    with its XML file, object index, class, box and whether it was dropped.

    Args:
        root (str): the folder with ``Annotations/``, ``ImageSets/Main/`` and
            ``JPEGImages/``.
        split (str): the split list ``ImageSets/Main/<split>.txt``.
        classes (Sequence[str]): class names, in category id order.
        out_file (str, optional): where to write the JSON.
        tolerance (float): px a box may reach outside its image; such a box
            is clipped (counted as ``clipped``). Further out is an error
            unless ``clip``.
        clip (bool): clip boxes that reach further out.
        img_ext (str): the image files' extension.
        min_size (float): degenerate below this side in px (0: no check).
        dup_iou (float): duplicate above this IoU (>= 1: no check).
        drop_degenerate (bool): leave degenerate boxes out.
        drop_duplicates (bool): leave near-duplicates out (the first box of
            each group stays).

    Returns:
        dict: the COCO data, also written to ``out_file`` when given; its
        ``info`` holds the ``source``, the ``options``, a ``summary`` of counts
        and the ``issues`` (see :mod:`~.conversion_report`).

    Raises:
        FileNotFoundError: no split list, or a listed image without its XML or
            image file.
        VOCFormatError: see :func:`parse_voc_xml`; an image listed twice.
    """
    split_file = osp.join(root, 'ImageSets', 'Main', f'{split}.txt')
    if not osp.isfile(split_file):
        raise FileNotFoundError(f'{split_file}: split list not found (VOC layout expected: '
                                f'Annotations/, ImageSets/Main/, JPEGImages/)')
    ids = _read_split(split_file)
    images: List[Dict] = []
    annotations: List[Dict] = []
    issues: Dict[str, List[Dict]] = dict(degenerate=[], duplicates=[])
    clipped = 0
    for img_id in ids:
        xml_file = osp.join(root, 'Annotations', f'{img_id}.xml')
        if not osp.isfile(xml_file):
            raise FileNotFoundError(f'{split_file}: image {img_id!r}: {xml_file} not found')
        file_name = f'JPEGImages/{img_id}{img_ext}'
        if not osp.isfile(osp.join(root, file_name)):
            raise FileNotFoundError(f'{xml_file}: image file {osp.join(root, file_name)} not found')
        ann = parse_voc_xml(xml_file, classes, tolerance, clip)
        clipped += ann['clipped']
        images.append(dict(id=len(images) + 1, file_name=file_name, width=ann['width'],
                           height=ann['height']))
        objects = [dict(obj, object=k) for k, obj in enumerate(ann['objects'])]
        review = review_boxes([o['bbox'] for o in objects], [o['name'] for o in objects],
                              min_size, dup_iou, drop_degenerate, drop_duplicates)
        for kind, records in issue_records(review, objects, f'Annotations/{img_id}.xml',
                                           file_name, 'object').items():
            issues[kind] += records
        for obj, keep in zip(objects, review.keep):
            if not keep:
                continue
            x1, y1, x2, y2 = obj['bbox']
            annotations.append(dict(
                id=len(annotations) + 1, image_id=len(images),
                category_id=list(classes).index(obj['name']) + 1,
                bbox=[x1, y1, x2 - x1, y2 - y1], area=(x2 - x1) * (y2 - y1),
                iscrowd=int(obj['difficult'])))
    summary = dict(split=split, images=len(images), boxes=len(annotations),
                   difficult=sum(a['iscrowd'] for a in annotations), clipped=clipped,
                   degenerate=len(issues['degenerate']), duplicates=len(issues['duplicates']),
                   dropped=sum(r['dropped'] for v in issues.values() for r in v))
    info = dict(
        description=f'{osp.abspath(root)} {split}: Pascal VOC XML -> COCO (plb_mm voc2coco)',
        source=dict(format='voc', root=osp.abspath(root), split=split,
                    split_file=f'ImageSets/Main/{split}.txt'),
        options=dict(tolerance=tolerance, clip=clip, min_size=min_size, dup_iou=dup_iou,
                     drop_degenerate=drop_degenerate, drop_duplicates=drop_duplicates),
        summary=summary, issues=issues)
    return finish_coco(info, images, annotations, classes, out_file)
