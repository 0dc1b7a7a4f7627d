"""Sparse annotations from a full COCO file: keep a fraction of each image's
annotations, or one per image (the BDE paper's sparse training sets).

The BDE paper (Sections 4.3.1 and 4.4.1.1) trains on a sparsified copy of
the training data and tests on the intact test data: on Ki-67 it keeps a
*retentive rate* r = 0.1 ... 1.0 of the annotated cells, on MITOS-ATYPIA-14
exactly one mitosis per training image ("we randomly delete annotations until
there is only one per training image").

Rule, per image, over its n annotations with ``iscrowd == 0`` (crowd
annotations are ignore regions, not cells: always kept, not counted):

- ratio r (0 < r <= 1): keep ``k = min(n, max(1, floor(r * n + 1/2)))``, i.e.
  r * n rounded half up, but at least one annotation of an image that has
  any (10 boxes at r = 0.3 keep 3; 5 at r = 0.5 keep 3; 3 at r = 0.1 keep 1).
  r * n is computed exactly on r's decimal value (0.15 * 10 = 1.5 -> 2).
  Because of the "at least one", an image with fewer than 1 / (2 r) boxes
  keeps a larger share than r: the effective rate over the file is recorded
  (``retention``).
- one per image: ``k = min(n, 1)``.

Which k: the image's annotations sorted by id are permuted by
``numpy.random.default_rng([seed, image_id])`` and the first k kept. So the
choice depends on the seed, the image id and the set of its annotation ids
only (not on the order of the file, nor on the other images), and the kept
sets are nested: for one seed, what r = 0.1 keeps is kept by r = 0.5, and the
one kept per image is kept by every r.

The output is the input with the dropped annotations removed (ids and every
other field unchanged, every image kept) and ``info['sparsify']`` recording
the mode, r, the seed, the rule, the counts and, per image, the ids dropped.
The dropped annotations can be written as a second COCO file (same images
and categories) for analysis: kept and dropped partition the input.
"""
import copy
import json
import math
import os
import os.path as osp
import shutil
import tempfile
from fractions import Fraction
from typing import Dict, List, Optional, Tuple

import numpy as np

from .coco_format import CocoFormatError, find_coco_problems, load_coco_json, raise_problems
from .file_lock import file_lock

__all__ = ['sparse_keep_count', 'sparsify_coco', 'sparsify_coco_file']

RULE_RATIO = ('per image, of its n annotations with iscrowd 0: keep '
              'min(n, max(1, floor(r * n + 1/2))), chosen by a permutation of its annotations '
              '(sorted by id) drawn with numpy.random.default_rng([seed, image_id]); crowd '
              'annotations are always kept')
RULE_ONE = ('per image: keep one of its annotations with iscrowd 0, chosen by a permutation '
            '(sorted by id) drawn with numpy.random.default_rng([seed, image_id]); crowd '
            'annotations are always kept')


def sparse_keep_count(n: int, ratio: Optional[float] = None) -> int:
    """How many of an image's ``n`` annotations are kept:
    ``min(n, max(1, floor(r * n + 1/2)))`` for a ratio r, ``min(n, 1)`` for
    ``ratio=None`` (one per image); 0 when ``n == 0``.

    ``sparse_keep_count(10, 0.3) == 3``, ``sparse_keep_count(5, 0.5) == 3``,
    ``sparse_keep_count(3, 0.1) == 1``, ``sparse_keep_count(10, 0.15) == 2``.
    """
    if n == 0:
        return 0
    if ratio is None:
        return 1
    exact = Fraction(str(ratio)) * n + Fraction(1, 2)  # r's decimal value, exactly
    return min(n, max(1, math.floor(exact)))


def _check_ratio(ratio: Optional[float], one_per_image: bool, name: str) -> None:
    if one_per_image:
        if ratio is not None:
            raise ValueError(f'{name}: give a ratio or one_per_image, not both')
        return
    if ratio is None:
        raise ValueError(f'{name}: give a ratio r in (0, 1] or one_per_image')
    if isinstance(ratio, bool) or not isinstance(ratio, (int, float)) or \
            not math.isfinite(ratio) or not 0 < ratio <= 1:
        raise ValueError(f'{name}: the ratio must lie in (0, 1] (the share of each image\'s '
                         f'annotations that is kept), got {ratio!r}')


def sparsify_coco(coco: Dict, ratio: Optional[float] = None, seed: int = 0,
                  one_per_image: bool = False, name: str = 'the COCO data',
                  source: Optional[str] = None) -> Tuple[Dict, Dict]:
    """Keep a fraction ``ratio`` of each image's annotations, or one per
    image (module docstring: the rule and the choice).

    Args:
        coco (dict): the COCO data (not modified). Its records are expected
            valid (see :func:`~.coco_format.find_coco_problems`).
        ratio (float, optional): r in (0, 1].
        seed (int): the seed (>= 0).
        one_per_image (bool): keep one annotation per image (no ratio).
        name (str): how errors name the data (its file).
        source (str, optional): the input file, recorded in ``info``.

    Returns:
        tuple[dict, dict]: ``(kept, dropped)``: two COCO dicts with every
        image and category of ``coco``, the kept and the dropped annotations
        (in the input's order), ``info`` the input's plus ``sparsify``
        (``part``: ``'kept'`` / ``'dropped'``). A ``sparsify`` record already
        in the input moves into the new one as ``previous``.

    Raises:
        ValueError: a ratio outside (0, 1], both or neither of ratio and
            one_per_image, a negative seed or image id, or data without
            annotations; the message names ``name``.
    """
    _check_ratio(ratio, one_per_image, name)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f'{name}: the seed must be an integer >= 0, got {seed!r}')
    with_regions = [img.get('id') for img in coco.get('images', []) if 'labeled_regions' in img]
    if with_regions:
        raise ValueError(f'{name}: {len(with_regions)} image(s) have labeled_regions (first: '
                         f'image id {with_regions[0]}), which promise that every cell inside '
                         f'is annotated; dropping boxes would break that. Sparsify files '
                         f'without regions')
    anns = coco.get('annotations') or []
    if not anns:
        raise ValueError(f'{name}: has no annotations: nothing to sparsify (is it an '
                         f'image-info or test file?)')
    by_image: Dict[int, List[Dict]] = {}
    for a in anns:
        if not a.get('iscrowd', 0):
            by_image.setdefault(a['image_id'], []).append(a)
    dropped_ids: Dict[int, List[int]] = {}
    for img_id, img_anns in by_image.items():
        if img_id < 0:
            raise ValueError(f'{name}: image id {img_id} is negative; the choice is seeded '
                             f'by (seed, image id) and needs ids >= 0')
        ids = sorted(a['id'] for a in img_anns)
        k = sparse_keep_count(len(ids), None if one_per_image else ratio)
        order = np.random.default_rng([seed, img_id]).permutation(len(ids))
        dropped = sorted(ids[j] for j in order[k:])
        if dropped:
            dropped_ids[img_id] = dropped
    dropped_set = {i for ids in dropped_ids.values() for i in ids}
    kept_anns = [a for a in anns if a['id'] not in dropped_set]
    dropped_anns = [a for a in anns if a['id'] in dropped_set]
    candidates = sum(len(v) for v in by_image.values())
    record = dict(
        source=source, mode='one_per_image' if one_per_image else 'ratio',
        ratio=None if one_per_image else ratio, seed=seed,
        rule=RULE_ONE if one_per_image else RULE_RATIO,
        images=len(coco.get('images', [])), images_with_annotations=len(by_image),
        annotations=len(anns), crowd=len(anns) - candidates, kept=len(kept_anns),
        dropped=len(dropped_anns),
        retention=round((candidates - len(dropped_anns)) / candidates, 6) if candidates else 1.,
        dropped_ids=[dict(image_id=i, ids=ids) for i, ids in sorted(dropped_ids.items())])
    info = dict(coco.get('info') or {})
    if 'sparsify' in info:
        record['previous'] = info['sparsify']
    out = []
    for part, part_anns in (('kept', kept_anns), ('dropped', dropped_anns)):
        data = {k: v for k, v in coco.items() if k not in ('info', 'annotations')}
        data = copy.deepcopy(data)
        data['info'] = dict(info, sparsify=dict(record, part=part))
        data['annotations'] = copy.deepcopy(part_anns)
        out.append(data)
    return out[0], out[1]


def sparse_file_name(ann_file: str, ratio: Optional[float] = None, seed: int = 0,
                     one_per_image: bool = False, dropped: bool = False) -> str:
    """Where a sparsified copy of ``ann_file`` goes by default: beside it,
    ``<name>_r<r>_s<seed>.json`` or ``<name>_one_s<seed>.json`` (with
    ``_dropped`` before ``.json`` for the dropped annotations)."""
    tag = 'one' if one_per_image else f'r{ratio:g}'
    return f'{osp.splitext(ann_file)[0]}_{tag}_s{seed}{"_dropped" if dropped else ""}.json'


def sparsify_coco_file(in_file: str, out_file: str, ratio: Optional[float] = None,
                       seed: int = 0, one_per_image: bool = False,
                       dropped_file: Optional[str] = None) -> Tuple[Dict, Dict]:
    """:func:`sparsify_coco` of a COCO file, written to ``out_file`` (and the
    dropped annotations to ``dropped_file``).

    Raises:
        CocoFormatError: the file is not valid COCO (every problem listed).
        ValueError: as :func:`sparsify_coco`, naming ``in_file``.
        FileNotFoundError: no such file.
    """
    _check_ratio(ratio, one_per_image, in_file)
    coco = load_coco_json(in_file)
    raise_problems(in_file, find_coco_problems(coco, bbox_tolerance=None,
                                               require_annotations=False), error=CocoFormatError)
    kept, dropped = sparsify_coco(coco, ratio, seed, one_per_image, in_file, in_file)
    for data, path in ((kept, out_file), (dropped, dropped_file)):
        if path:
            os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
            with open(path, 'w') as f:
                json.dump(data, f)
    return kept, dropped


def ensure_sparse_annotations(ann_file: str, ratio: Optional[float] = None, seed: int = 0,
                              one_per_image: bool = False) -> str:
    """A sparsified copy of ``ann_file`` beside it (named by
    :func:`sparse_file_name`: ``<stem>_r<r>_s<seed>.json`` or
    ``<stem>_one_s<seed>.json``), written with :func:`sparsify_coco_file`
    (atomically, one process at a time) unless an up-to-date one is there
    (newer than ``ann_file``); its dropped annotations go to
    ``..._dropped.json``. Returns the path."""
    out = sparse_file_name(ann_file, ratio, seed, one_per_image)
    with file_lock(out):
        if osp.isfile(out) and osp.getmtime(out) >= osp.getmtime(ann_file):
            return out
        tmp_dir = tempfile.mkdtemp(dir=osp.dirname(out))
        try:
            tmp_out, tmp_dropped = osp.join(tmp_dir, 'kept.json'), osp.join(tmp_dir, 'dropped.json')
            kept, _ = sparsify_coco_file(ann_file, tmp_out, ratio, seed, one_per_image,
                                         dropped_file=tmp_dropped)
            os.replace(tmp_dropped, sparse_file_name(ann_file, ratio, seed, one_per_image, True))
            os.replace(tmp_out, out)
        finally:
            shutil.rmtree(tmp_dir, ignore_errors=True)
        rec = kept['info']['sparsify']
        print(f"[sparsify] {out}: kept {rec['kept']} of {rec['annotations']} boxes "
              f"(retention {rec['retention']:.3f})", flush=True)
    return out
