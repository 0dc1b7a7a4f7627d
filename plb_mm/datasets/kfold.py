"""k-fold cross-validation splits of a COCO file, by image.

The BDE paper evaluates with 4-fold cross-validation on MITOS-ATYPIA-14 and
3-fold on Ki-67 (Section 4.2) and prints each fold and the mean (Tables 1-2).
Here the images are split into ``folds`` disjoint test sets that together
cover every image; fold k's training set is the complement of its test set.
An annotation goes with its image.

Assignment (seeded, deterministic): the units are the images, or with
``group_by`` the groups of images sharing the value of that image field
(MITOS-ATYPIA-14's converter writes ``patient``, so a slide's frames, which
overlap and look alike, never sit on both sides of a fold). The units, sorted
by image id (groups: by value), are permuted with
``numpy.random.default_rng(seed)``, stably sorted by size (largest first),
and each in turn goes to the fold with the fewest images so far (the lowest
fold on ties). Without groups the test folds' sizes therefore differ by at
most one image.
"""
import copy
import json
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from .coco_format import CocoFormatError, find_coco_problems, load_coco_json, raise_problems

__all__ = ['kfold_assign', 'kfold_split', 'kfold_split_file']


def kfold_assign(images: Sequence[Dict], folds: int = 4, seed: int = 0,
                 group_by: Optional[str] = None, name: str = 'the COCO data'
                 ) -> List[List[int]]:
    """The test image ids of each fold (module docstring: the rule).

    Args:
        images: COCO image records (``id``, and ``group_by``'s field).
        folds (int): the number of folds, >= 2.
        seed (int): the seed (>= 0).
        group_by (str, optional): an image field; images sharing its value
            stay in one fold.
        name (str): how errors name the data (its file).

    Returns:
        list[list[int]]: per fold, its test image ids, sorted.

    Raises:
        ValueError: fewer than 2 folds, more folds than images (or groups),
            a negative seed, an image without the ``group_by`` field; the
            message names ``name``.
    """
    if isinstance(folds, bool) or not isinstance(folds, int) or folds < 2:
        raise ValueError(f'{name}: folds must be an integer >= 2, got {folds!r}')
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f'{name}: the seed must be an integer >= 0, got {seed!r}')
    units: Dict[str, List[int]] = {}
    for k, img in enumerate(sorted(images, key=lambda i: i['id'])):
        if group_by is None:
            key = f'{k:012d}'
        elif group_by not in img:
            raise ValueError(f"{name}: image id {img['id']} ({img.get('file_name')!r}) has no "
                             f"field {group_by!r} to group by")
        else:
            key = json.dumps(img[group_by], sort_keys=True)
        units.setdefault(key, []).append(img['id'])
    what = 'images' if group_by is None else f'groups of {group_by!r}'
    if len(units) < folds:
        raise ValueError(f'{name}: {len(units)} {what} cannot make {folds} folds')
    keys = sorted(units)
    order = [keys[j] for j in np.random.default_rng(seed).permutation(len(keys))]
    order.sort(key=lambda key: -len(units[key]))  # stable: ties stay permuted
    tests: List[List[int]] = [[] for _ in range(folds)]
    for key in order:
        smallest = min(range(folds), key=lambda f: (len(tests[f]), f))
        tests[smallest] += units[key]
    return [sorted(t) for t in tests]


def kfold_split(coco: Dict, folds: int = 4, seed: int = 0, group_by: Optional[str] = None,
                name: str = 'the COCO data', source: Optional[str] = None
                ) -> List[Tuple[Dict, Dict]]:
    """Per fold, the ``(train, test)`` COCO dicts (:func:`kfold_assign`).

    Each has the categories and the info of ``coco`` (not modified), its
    images and their annotations in the input's order, and
    ``info['kfold']``: ``source``, ``folds``, ``fold`` (1-based, as the
    paper's tables count), ``seed``, ``group_by``, ``part`` (``'train'`` /
    ``'test'``), the numbers of images and annotations, and
    ``test_image_ids``.
    """
    tests = kfold_assign(coco.get('images') or [], folds, seed, group_by, name)
    out = []
    for f, test_ids in enumerate(tests, 1):
        test_set = set(test_ids)
        pair = []
        for part, in_test in (('train', False), ('test', True)):
            images = [img for img in coco['images'] if (img['id'] in test_set) == in_test]
            anns = [a for a in coco.get('annotations') or []
                    if (a['image_id'] in test_set) == in_test]
            data = {k: copy.deepcopy(v) for k, v in coco.items()
                    if k not in ('info', 'images', 'annotations')}
            data['info'] = dict(coco.get('info') or {}, kfold=dict(
                source=source, folds=folds, fold=f, seed=seed, group_by=group_by, part=part,
                images=len(images), annotations=len(anns), test_image_ids=test_ids))
            data['images'], data['annotations'] = copy.deepcopy(images), copy.deepcopy(anns)
            pair.append(data)
        out.append(tuple(pair))
    return out


def kfold_split_file(in_file: str, out_dir: str, folds: int = 4, seed: int = 0,
                     group_by: Optional[str] = None) -> List[Tuple[str, str]]:
    """:func:`kfold_split` of a COCO file, written as
    ``out_dir/fold{k}_train.json`` and ``out_dir/fold{k}_test.json``
    (k = 1 .. folds); returns those paths.

    Raises:
        CocoFormatError: the file is not valid COCO (every problem listed).
        ValueError: as :func:`kfold_assign`, naming ``in_file``.
        FileNotFoundError: no such file.
    """
    coco = load_coco_json(in_file)
    raise_problems(in_file, find_coco_problems(coco, bbox_tolerance=None,
                                               require_annotations=False), error=CocoFormatError)
    splits = kfold_split(coco, folds, seed, group_by, in_file, in_file)
    os.makedirs(out_dir, exist_ok=True)
    paths = []
    for f, pair in enumerate(splits, 1):
        names = tuple(osp.join(out_dir, f'fold{f}_{part}.json') for part in ('train', 'test'))
        for data, path in zip(pair, names):
            with open(path, 'w') as fh:
                json.dump(data, fh)
        paths.append(names)
    return paths
