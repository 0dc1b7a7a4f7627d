"""Checks of a COCO-format annotation file as it is written, before mmdet or
pycocotools index it.

pycocotools indexes records by id without looking: a second image with the
same id replaces the first (whose boxes then go to the other file), an
annotation whose ``image_id`` names no image vanishes, a string
``category_id`` matches nothing, and a bbox of three numbers fails deep inside
mmdet without naming the file. Here each such record is a *problem*: a line
that names the record (its index in the file's list, its id, the image's file
name) and says what is wrong. :func:`raise_problems` turns the problems of one
file into one :class:`CocoFormatError` that lists them all.
"""
import json
import math
import os
from typing import Any, Dict, List, Optional, Sequence

__all__ = [
    'CocoFormatError', 'load_coco_json', 'find_coco_problems', 'find_class_problems',
    'find_region_problems', 'raise_problems',
    'image_record_name', 'ann_record_name'
]

# How many problems one error lists before it says "and N more".
MAX_LISTED = 30


class CocoFormatError(ValueError):
    """An annotation file that cannot be trained on as it is."""


def load_coco_json(path: str, name: Optional[str] = None) -> Dict[str, Any]:
    """Read a COCO annotation file; any failure names the file.

    Args:
        path (str): the file to read.
        name (str, optional): how to name the file in errors (the configured
            path when ``path`` is a local copy of a remote file). Defaults to
            ``path``.

    Raises:
        CocoFormatError: invalid JSON (with line, column and the text there),
            not UTF-8, or a top level that is not an object.
        FileNotFoundError: no such file.
    """
    name = name or path
    if not os.path.isfile(path):
        raise FileNotFoundError(f'{name}: annotation file not found')
    try:
        with open(path, encoding='utf-8') as f:
            text = f.read()
    except UnicodeDecodeError as e:
        raise CocoFormatError(
            f'{name}: not a UTF-8 text file (byte {e.start}: {e.reason}); is it '
            f'a COCO annotation file?') from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        if not text.strip():
            raise CocoFormatError(f'{name}: the file is empty, expected COCO JSON') from None
        near = text[max(0, e.pos - 40):e.pos + 40].replace('\n', ' ')
        raise CocoFormatError(
            f'{name}: not valid JSON: {e.msg} at line {e.lineno} column {e.colno} '
            f'(char {e.pos}), near ...{near}... (truncated or hand-edited?)') from None
    if not isinstance(data, dict):
        raise CocoFormatError(
            f'{name}: the top level is a JSON {type(data).__name__}; a COCO file '
            f"is an object with 'images', 'annotations' and 'categories'")
    return data


def image_record_name(index: int, img: Any) -> str:
    """``images[3] (id 3, '000003.jpg')``."""
    if not isinstance(img, dict):
        return f'images[{index}]'
    return f"images[{index}] (id {img.get('id')!r}, {img.get('file_name')!r})"


def ann_record_name(index: int, ann: Any, images_by_id: Optional[Dict] = None) -> str:
    """``annotations[12] (id 13, image id 3 '000003.jpg')``."""
    if not isinstance(ann, dict):
        return f'annotations[{index}]'
    img = (images_by_id or {}).get(_hashable(ann.get('image_id')))
    file_part = f" {img.get('file_name')!r}" if isinstance(img, dict) else ''
    return (f"annotations[{index}] (id {ann.get('id')!r}, image id "
            f"{ann.get('image_id')!r}{file_part})")


def _hashable(v):
    try:
        hash(v)
        return v
    except TypeError:
        return None


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_number(v) -> bool:
    return (isinstance(v, (int, float)) and not isinstance(v, bool)
            and math.isfinite(v))


def _type_name(v) -> str:
    return 'a string' if isinstance(v, str) else f'{v!r} ({type(v).__name__})'


def find_coco_problems(data: Dict[str, Any], bbox_tolerance: Optional[float] = 1.0,
                       require_annotations: bool = True,
                       num_attributes: Optional[int] = None) -> List[str]:
    """Every problem of a loaded COCO file, one line each, in file order.

    Checked:

    - ``images``, ``categories`` (and ``annotations`` if
      ``require_annotations``) are lists of objects;
    - ids are integers and unique within their list (a duplicate names both
      records); category names are unique;
    - an image has a non-empty string ``file_name`` and positive numeric
      ``width`` and ``height``;
    - an annotation's ``image_id`` and ``category_id`` are integers naming an
      image and a category of the file; its ``bbox`` is four finite numbers
      ``[x, y, w, h]`` with ``w, h >= 0`` (a zero side is not a problem here:
      the dataset drops such boxes and counts them); ``area`` is a number;
      ``iscrowd``, if there, is 0 or 1;
    - a box reaches outside its image by no more than ``bbox_tolerance``
      pixels (``None`` skips this), except annotations marked ``ignore``;
    - an image's ``labeled_regions`` (SLA-Det; optional, absent = the whole
      image is labelled, ``[]`` = nothing is) is a list of
      ``[x1, y1, x2, y2]``, four finite numbers each with ``x2 > x1`` and
      ``y2 > y1``, inside the image up to ``bbox_tolerance`` pixels (see
      :func:`find_region_problems`);
    - an annotation's ``attributes`` (optional) is a list of integers in
      {0, 1, -1} (-1 unknown), ``num_attributes`` long (``None``: as long as
      the first annotation's list in the file).

    Args:
        data (dict): the file as :func:`load_coco_json` returns it.
        bbox_tolerance (float, optional): see above. Defaults to 1.0.
        require_annotations (bool): whether a file without ``annotations`` is
            a problem (image-info files for test servers have none).
        num_attributes (int, optional): see above. Defaults to None.

    Returns:
        list[str]: the problems; empty for a good file.
    """
    problems: List[str] = []
    lists = {}
    for key in ('images', 'annotations', 'categories'):
        if key not in data:
            if key != 'annotations' or require_annotations:
                problems.append(
                    f"has no '{key}' list (top-level keys: {sorted(data)}); a COCO "
                    f"detection file has 'images', 'annotations' and 'categories'")
            lists[key] = []
        elif not isinstance(data[key], list):
            problems.append(f"'{key}' is a {type(data[key]).__name__}, expected a list")
            lists[key] = []
        else:
            lists[key] = data[key]
    if problems:
        return problems

    images_by_id: Dict[Any, dict] = {}
    first_image: Dict[Any, int] = {}
    for i, img in enumerate(lists['images']):
        where = image_record_name(i, img)
        if not isinstance(img, dict):
            problems.append(f'{where}: is {_type_name(img)}, expected an object')
            continue
        img_id = img.get('id')
        if not _is_int(img_id):
            problems.append(f"{where}: 'id' is {_type_name(img_id)}, expected an integer"
                            if 'id' in img else f"{where}: has no 'id'")
        elif img_id in first_image:
            j = first_image[img_id]
            problems.append(
                f'{where}: duplicate image id {img_id}, also used by '
                f'{image_record_name(j, lists["images"][j])}; image ids must be '
                f'unique (annotations refer to images by id)')
        else:
            first_image[img_id] = i
            images_by_id[img_id] = img
        fn = img.get('file_name')
        if not isinstance(fn, str) or not fn:
            problems.append(f"{where}: 'file_name' is {_type_name(fn)}, expected a path"
                            if 'file_name' in img else f"{where}: has no 'file_name'")
        for key in ('width', 'height'):
            v = img.get(key)
            if key not in img:
                problems.append(f"{where}: has no '{key}'")
            elif not _is_number(v) or v <= 0:
                problems.append(f"{where}: '{key}' is {_type_name(v)}, expected a "
                                f'positive number of pixels')
        if 'labeled_regions' in img:
            problems += find_region_problems(where, img, bbox_tolerance)

    cat_ids: Dict[Any, int] = {}
    cat_names: Dict[Any, int] = {}
    for i, cat in enumerate(lists['categories']):
        where = f'categories[{i}]'
        if not isinstance(cat, dict):
            problems.append(f'{where}: is {_type_name(cat)}, expected an object')
            continue
        where += f" (id {cat.get('id')!r}, {cat.get('name')!r})"
        cid, cname = cat.get('id'), cat.get('name')
        if not _is_int(cid):
            problems.append(f"{where}: 'id' is {_type_name(cid)}, expected an integer")
        elif cid in cat_ids:
            problems.append(f'{where}: duplicate category id {cid}, also used by '
                            f'categories[{cat_ids[cid]}]')
        else:
            cat_ids[cid] = i
        if not isinstance(cname, str) or not cname:
            problems.append(f"{where}: 'name' is {_type_name(cname)}, expected a string")
        elif cname in cat_names:
            problems.append(f'{where}: duplicate category name {cname!r}, also used by '
                            f'categories[{cat_names[cname]}]')
        else:
            cat_names[cname] = i

    first_ann: Dict[Any, int] = {}
    orphans: Dict[int, List] = {}  # image_id naming no image -> [(index, id)]
    known_cats = sorted(cat_ids)
    for i, ann in enumerate(lists['annotations']):
        where = ann_record_name(i, ann, images_by_id)
        if not isinstance(ann, dict):
            problems.append(f'{where}: is {_type_name(ann)}, expected an object')
            continue
        aid = ann.get('id')
        if not _is_int(aid):
            problems.append(f"{where}: 'id' is {_type_name(aid)}, expected an integer"
                            if 'id' in ann else f"{where}: has no 'id'")
        elif aid in first_ann:
            j = first_ann[aid]
            problems.append(
                f'{where}: duplicate annotation id {aid}, also used by '
                f'{ann_record_name(j, lists["annotations"][j], images_by_id)}; '
                f'annotation ids must be unique')
        else:
            first_ann[aid] = i
        img_id = ann.get('image_id')
        img = None
        if not _is_int(img_id):
            problems.append(
                f"{where}: 'image_id' is {_type_name(img_id)}, expected the integer id "
                f'of an image' if 'image_id' in ann else f"{where}: has no 'image_id'")
        elif img_id not in images_by_id:
            orphans.setdefault(img_id, []).append((i, aid))
        else:
            img = images_by_id[img_id]
        ignored = bool(ann.get('ignore', False))
        cat = ann.get('category_id')
        if not _is_int(cat):
            problems.append(
                f"{where}: 'category_id' is {_type_name(cat)}, expected the integer id "
                f'of one of the categories {known_cats}'
                if 'category_id' in ann else f"{where}: has no 'category_id'")
        elif cat not in cat_ids and not ignored:
            problems.append(f'{where}: category_id {cat} is not among the categories '
                            f'of the file {known_cats}')
        if 'iscrowd' in ann and ann['iscrowd'] not in (0, 1):  # True/False compare equal
            problems.append(f"{where}: 'iscrowd' is {_type_name(ann['iscrowd'])}, "
                            f'expected 0 or 1')
        if 'area' not in ann:
            problems.append(f"{where}: has no 'area' (mmdet and COCO evaluation need it; "
                            f'for a box it is w * h)')
        elif not _is_number(ann['area']):
            problems.append(f"{where}: 'area' is {_type_name(ann['area'])}, expected a number")
        if 'attributes' in ann:
            if num_attributes is None and isinstance(ann['attributes'], list):
                num_attributes = len(ann['attributes'])  # the file's first list sets it
            problems += _attribute_problems(where, ann['attributes'], num_attributes)
        bbox = ann.get('bbox')
        if 'bbox' not in ann:
            problems.append(f"{where}: has no 'bbox'")
            continue
        if (not isinstance(bbox, (list, tuple)) or len(bbox) != 4
                or not all(_is_number(v) for v in bbox)):
            problems.append(f"{where}: 'bbox' is {bbox!r}, expected four numbers "
                            f'[x, y, width, height]')
            continue
        x, y, w, h = bbox
        if w < 0 or h < 0:
            problems.append(f'{where}: bbox [x, y, w, h] = {bbox} has a negative '
                            f'{"width" if w < 0 else "height"}; COCO boxes are '
                            f'[x, y, width, height], not [x1, y1, x2, y2]?')
            continue
        if (bbox_tolerance is not None and img is not None and not ignored
                and _is_number(img.get('width')) and _is_number(img.get('height'))):
            W, H, tol = img['width'], img['height'], bbox_tolerance
            if x < -tol or y < -tol or x + w > W + tol or y + h > H + tol:
                problems.append(f'{where}: bbox [x, y, w, h] = {bbox} reaches outside '
                                f'the {W}x{H} image (tolerance {tol} px)')
    for img_id, anns in orphans.items():
        shown = ', '.join(f'[{i}] (id {a!r})' for i, a in anns[:5])
        more = f' and {len(anns) - 5} more' if len(anns) > 5 else ''
        count = f' ({len(anns)} annotations)' if len(anns) > 1 else ''
        problems.append(f'annotations{shown}{more}: image_id {img_id} is not the id of any '
                        f'image in the file{count}')
    return problems


def find_region_problems(where: str, img: dict,
                         tolerance: Optional[float] = 1.0) -> List[str]:
    """Problems of an image record's ``labeled_regions`` (SLA-Det's
    labelled rectangles, ``[[x1, y1, x2, y2], ...]`` in the image's pixels),
    one line each, prefixed by ``where`` (the record's name): not a list (a
    ``null`` too: leave the key out for a fully labelled image, give ``[]``
    for none), a region that is not four finite numbers, one with
    ``x2 <= x1`` or ``y2 <= y1`` (an ``[x, y, w, h]`` region?), or one reaching
    outside the image by more than ``tolerance`` pixels (``None`` skips this
    test, as for boxes)."""
    regions = img['labeled_regions']
    if not isinstance(regions, list):
        return [f"{where}: 'labeled_regions' is {_type_name(regions)}, expected a list of "
                f'[x1, y1, x2, y2] (leave the key out for a fully labelled image, '
                f'[] for an image with nothing labelled)']
    problems = []
    W, H = img.get('width'), img.get('height')
    for j, r in enumerate(regions):
        name = f'{where}: labeled_regions[{j}]'
        if (not isinstance(r, (list, tuple)) or len(r) != 4
                or not all(_is_number(v) for v in r)):
            problems.append(f'{name} is {r!r}, expected four numbers [x1, y1, x2, y2]')
        elif r[2] <= r[0] or r[3] <= r[1]:
            problems.append(f'{name} = {list(r)} has {"x2 <= x1" if r[2] <= r[0] else "y2 <= y1"}; '
                            f'regions are [x1, y1, x2, y2] with a positive area, not '
                            f'[x, y, width, height]?')
        elif (tolerance is not None and _is_number(W) and _is_number(H)
              and (r[0] < -tolerance or r[1] < -tolerance or r[2] > W + tolerance
                   or r[3] > H + tolerance)):
            problems.append(f'{name} = {list(r)} reaches outside the {W}x{H} image '
                            f'(tolerance {tolerance} px)')
    return problems


def _attribute_problems(where: str, attributes: Any, num: Optional[int]) -> List[str]:
    if (not isinstance(attributes, list) or not all(_is_int(v) for v in attributes)
            or any(v not in (0, 1, -1) for v in attributes)):
        return [f"{where}: 'attributes' is {attributes!r}, expected a list of integers "
                f'0, 1 or -1 (unknown)']
    if num is not None and len(attributes) != num:
        return [f"{where}: 'attributes' has {len(attributes)} values, expected {num}"]
    return []


def find_class_problems(categories: List[dict], classes: Sequence[str]) -> List[str]:
    """Problems between a config's ``classes`` and a checked file's
    ``categories``: classes the file does not define, and classes listed in
    another order than the file's. mmdet numbers the labels in the file's
    order (``COCO.get_cat_ids``), so with another order every class name of
    the config (per-class AP, visualisation, predictions' names) would belong
    to another class."""
    names = [c['name'] for c in categories]
    missing = [c for c in classes if c not in names]
    if missing:
        return [f'classes {missing} of the config are not defined in the file (its '
                f'categories: {sorted(names)})']
    in_file_order = [n for n in names if n in classes]
    if in_file_order != list(classes):
        return [f'the classes of the config {tuple(classes)} are in another order than '
                f'the categories of the file {tuple(in_file_order)}; mmdet numbers labels '
                f"in the file's order, so the config's class names would be attached to "
                f"the wrong classes: list them in the file's order"]
    return []


def raise_problems(name: str, problems: Sequence[str], what: str = 'problem',
                   error=CocoFormatError) -> None:
    """Raise one ``error`` that names the file ``name`` and lists every
    problem (the first :data:`MAX_LISTED`), one per line; nothing if none."""
    if not problems:
        return
    if len(problems) == 1:
        raise error(f'{name}: {problems[0]}')
    lines = [f'{name}: {p}' for p in problems[:MAX_LISTED]]
    if len(problems) > MAX_LISTED:
        lines.append(f'... and {len(problems) - MAX_LISTED} more')
    raise error(f'{len(problems)} {what}s in {name}:\n' + '\n'.join(lines))
