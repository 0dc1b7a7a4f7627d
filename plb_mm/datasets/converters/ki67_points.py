"""Ki-67 key points (one point file per image) to COCO.

The BDE paper's Ki-67 set (Section 4.4.1: 206 patches of 1,080 x 1,920 px,
21,025 tumour cells "annotated with key points", each made a 32 x 32 box) is
not public, and the paper does not describe its file format. This reader
defines a plain one that any point-annotation tool can export:

    ROOT/images/<name>.png          (any extension of ``IMG_EXTS``, sub-folders allowed)
    ROOT/labels/<name>.csv          (or <name>.txt) beside it, same relative path

one row per cell, ``x,y`` or ``x,y,class`` (pixel column and row; comma- or
whitespace-separated; an optional ``x,y[,class]`` header line; blank lines
skipped). A row without a class is of the only class (``classes`` must then
name one class, default ``tumor``); a class is one of the names in
``classes`` (integer labels work too: ``classes=['0', '1']``).

Errors name the file and the line: a row with another number of fields, a
coordinate that is not a finite number, a class not named, a row without a
class when several are named. An image without a point file is kept without
boxes and listed as ``unlabelled``; a point file without an image is listed
as ``orphan_labels``; both point files ``.csv`` and ``.txt`` for one image is
an error. The point-to-box rules are :mod:`.point_boxes`'.
"""
import os
import os.path as osp
from typing import List, Optional, Sequence

from .point_boxes import (DEFAULT_BOX_SIZE, PointFormatError, PointImage, PointObject,
                          points_to_coco, read_point_rows)
from .yolo_txt import IMG_EXTS, _walk

__all__ = ['KI67_CLASSES', 'read_ki67_points', 'ki67_to_coco']

KI67_CLASSES = ('tumor', )
_POINT_EXTS = ('.csv', '.txt')


def read_ki67_points(path: str, classes: Sequence[str] = KI67_CLASSES) -> List[PointObject]:
    """The points of one Ki-67 point file (module docstring: the format).

    Raises:
        PointFormatError: a malformed row, a class not in ``classes``, or a
            row without a class while ``classes`` names several; the message
            names the file and the line.
    """
    classes = list(classes)
    points = []
    for row in read_point_rows(path, 2, 3, 'x,y[,class]'):
        where = f'{path}: line {row.line}'
        if row.extra:
            name = row.extra[0]
            if name not in classes:
                raise PointFormatError(f'{where}: class {name!r} is not one of {classes} '
                                       f'(name the classes with classes= / --classes)')
        elif len(classes) == 1:
            name = classes[0]
        else:
            raise PointFormatError(f'{where}: the row has no class (x,y) but {len(classes)} '
                                   f'classes are named {classes}: give x,y,class rows')
        points.append(PointObject(path, row.line, row.x, row.y, name, {}))
    return points


def ki67_to_coco(root: str, classes: Sequence[str] = KI67_CLASSES,
                 out_file: Optional[str] = None, images: str = 'images', labels: str = 'labels',
                 box_size: float = DEFAULT_BOX_SIZE, dup_iou: float = 0.8,
                 drop_duplicates: bool = False) -> dict:
    """Convert a Ki-67 key-point set to one COCO file (module docstring).

    ``file_name`` is relative to ``root``; categories are ``1..N`` in the
    order of ``classes``.

    Args:
        root (str): the data set's folder.
        classes: the class names (default ``('tumor',)``).
        out_file (str, optional): where to write the JSON.
        images, labels (str): the image and point folders, relative to
            ``root`` (or absolute).
        box_size, dup_iou, drop_duplicates: as for
            :func:`~.point_boxes.points_to_coco`.

    Returns:
        dict: the COCO data, also written to ``out_file``; ``info`` as the
        other converters write it.

    Raises:
        PointFormatError: a malformed row (file and line), a point whose box
            is clipped to zero area, an unreadable image, two point files for
            one image.
        FileNotFoundError: the image or the point folder is missing.
    """
    classes = list(classes)
    if not classes:
        raise ValueError('classes: give at least one class name')
    images_dir, labels_dir = (osp.join(root, d) for d in (images, labels))
    for what, d in (('image', images_dir), ('point', labels_dir)):
        if not osp.isdir(d):
            raise FileNotFoundError(f'{d}: {what} folder not found (the Ki-67 layout is '
                                    f'ROOT/{images}/<name>.png + ROOT/{labels}/<name>.csv)')
    items: List[PointImage] = []
    used = set()
    for rel in _walk(images_dir, IMG_EXTS):
        base = osp.join(labels_dir, osp.splitext(rel)[0])
        files = [base + e for e in _POINT_EXTS if osp.isfile(base + e)]
        if len(files) > 1:
            raise PointFormatError(f'{osp.join(images_dir, rel)}: two point files, '
                                   f'{" and ".join(files)}; keep one')
        used.update(files)
        points = read_ki67_points(files[0], classes) if files else []
        items.append(PointImage(osp.join(images_dir, rel), files, points, {}))
    orphans = [osp.join(labels_dir, rel) for rel in _walk(labels_dir, _POINT_EXTS)
               if osp.join(labels_dir, rel) not in used]
    source = dict(format='ki67-points', root=osp.abspath(root),
                  images=osp.relpath(images_dir, root).replace(os.sep, '/'),
                  labels=osp.relpath(labels_dir, root).replace(os.sep, '/'))
    return points_to_coco(
        root, items, classes, source,
        f'{osp.abspath(root)}: Ki-67 key points -> {box_size:g} px boxes (plb_mm ki67_2coco)',
        orphans, out_file, box_size, dup_iou, drop_duplicates)
