"""Pascal VOC layout (``Annotations/*.xml``, ``ImageSets/Main/<split>.txt``,
``JPEGImages/``) to COCO JSON: BCCD's release and VOC 2007 use it."""
import json
import os
import os.path as osp
import xml.etree.ElementTree as ET
from typing import Dict, List, Optional, Sequence

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
            raise VOCFormatError(f'{xml_file}: {what}unknown class {name!r}; known: {list(classes)}')
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
        objects.append(dict(name=name, bbox=[x1, y1, x2, y2],
                            difficult=bool(difficult is not None and difficult.text
                                           and int(float(difficult.text)))))
    return dict(width=int(W), height=int(H), objects=objects, clipped=clipped)


def voc_to_coco(root: str, split: str, classes: Sequence[str], out_file: Optional[str] = None,
                tolerance: float = 1.0, clip: bool = False, img_ext: str = '.jpg') -> dict:
    """Convert one split of a VOC-layout folder to COCO.

    ``file_name`` of each image is relative to ``root`` (``JPEGImages/<id>.jpg``),
    so a config uses ``data_root=root`` and ``data_prefix=dict(img='')``.
    ``difficult`` objects get ``iscrowd=1`` (ignored by mmdet and by COCO
    evaluation). Every listed image must have its XML and its image file.

    Returns:
        dict: the COCO data, also written to ``out_file`` when given, with a
        ``summary`` of counts under ``info``.
    """
    split_file = osp.join(root, 'ImageSets', 'Main', f'{split}.txt')
    if not osp.isfile(split_file):
        raise FileNotFoundError(f'{split_file}: split list not found (VOC layout expected: '
                                f'Annotations/, ImageSets/Main/, JPEGImages/)')
    with open(split_file) as f:
        ids = [line.split()[0] for line in f if line.strip()]
    images: List[Dict] = []
    annotations: List[Dict] = []
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
        for obj in ann['objects']:
            x1, y1, x2, y2 = obj['bbox']
            annotations.append(dict(
                id=len(annotations) + 1, image_id=len(images),
                category_id=list(classes).index(obj['name']) + 1,
                bbox=[x1, y1, x2 - x1, y2 - y1], area=(x2 - x1) * (y2 - y1),
                iscrowd=int(obj['difficult'])))
    summary = dict(split=split, images=len(images), boxes=len(annotations),
                   difficult=sum(a['iscrowd'] for a in annotations), clipped=clipped)
    coco = dict(info=dict(description=f'{osp.abspath(root)} {split}', summary=summary),
                images=images, annotations=annotations,
                categories=[dict(id=k + 1, name=c) for k, c in enumerate(classes)])
    if out_file:
        os.makedirs(osp.dirname(osp.abspath(out_file)), exist_ok=True)
        with open(out_file, 'w') as f:
            json.dump(coco, f)
    return coco
