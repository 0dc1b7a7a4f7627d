"""The synthetic smear's SLA-Det preset: labelled regions on the training
images (~20 % of the image; every cell inside annotated, none outside),
validation annotated in full, and 6 attributes painted visibly into each
white cell."""
import json

import numpy as np
import pytest

from plb_mm.datasets import SyntheticCellsDataset, generate_synthetic_cells
from plb_mm.datasets.synthetic_cells import _rng, draw_smear, preset_params
from plb_mm.datasets.synthetic_sladet import (SLADET_ATTRIBUTES, box_in_regions,
                                              draw_labeled_regions, paint_wbc_attributes)
from plb_mm.datasets.synthetic_smear import _Cell, render_smear

TINY = dict(num_train=4, num_val=2, seed=0, preset='sladet', img_size=384)


@pytest.fixture(scope='module')
def sladet_root(tmp_path_factory):
    root = tmp_path_factory.mktemp('sladet') / 'set'
    generate_synthetic_cells(str(root), verbose=False, **TINY)
    return root


def _coco(root, name):
    return json.loads((root / 'annotations' / f'{name}.json').read_text())


def _by_image(coco):
    out = {img['id']: [] for img in coco['images']}
    for a in coco['annotations']:
        out[a['image_id']].append(a)
    return out


def _xyxy(a):
    x, y, w, h = a['bbox']
    return [x, y, x + w, y + h]


def test_deterministic_by_seed(sladet_root, tmp_path):
    again = tmp_path / 'again'
    generate_synthetic_cells(str(again), verbose=False, **TINY)
    for name in ('train', 'train_full', 'val'):
        assert (again / 'annotations' / f'{name}.json').read_bytes() == \
            (sladet_root / 'annotations' / f'{name}.json').read_bytes()
    assert (again / 'train/000003.jpg').read_bytes() == \
        (sladet_root / 'train/000003.jpg').read_bytes()
    other = tmp_path / 'other'
    generate_synthetic_cells(str(other), verbose=False, **dict(TINY, seed=1, num_val=0))
    assert _coco(other, 'train')['images'][0]['labeled_regions'] != \
        _coco(sladet_root, 'train')['images'][0]['labeled_regions']
    assert json.loads((sladet_root / 'meta.json').read_text())['preset'] == 'sladet'


def test_training_images_are_labelled_only_inside_their_regions(sladet_root):
    train, full = _coco(sladet_root, 'train'), _coco(sladet_root, 'train_full')
    size = TINY['img_size']
    hidden = 0
    for img, full_img in zip(train['images'], full['images']):
        regions = img['labeled_regions']
        assert 1 <= len(regions) <= 3 and 'labeled_regions' not in full_img
        for x1, y1, x2, y2 in regions:
            assert 0 <= x1 < x2 <= size and 0 <= y1 < y2 <= size
        share = sum((x2 - x1) * (y2 - y1) for x1, y1, x2, y2 in regions) / size**2
        assert 0.12 < share < 0.28                     # ~20 %, regions do not overlap
        anns = _by_image(train)[img['id']]
        every = _by_image(full)[img['id']]
        # every drawn cell is in the full file, in the order drawn
        _, objects = draw_smear(_rng(TINY['seed'], 'train', img['id'] - 1),
                                preset_params('sladet', img_size=size))
        assert [_xyxy(a) for a in every] == [o['bbox'] for o in objects]
        # annotated = the cells whose box centre is in a region, no other
        inside = [a for a in every if box_in_regions(_xyxy(a), regions)]
        assert [a['labeled'] for a in every] == [a in inside for a in every]
        strip = lambda a: {k: v for k, v in a.items() if k not in ('id', 'labeled')}  # noqa
        assert [strip(a) for a in anns] == [strip(a) for a in inside]
        hidden += len(every) - len(inside)
    assert hidden > 0 and len(train['annotations']) > 0   # cells outside exist, unlabelled


def test_validation_is_annotated_in_full(sladet_root):
    val = _coco(sladet_root, 'val')
    assert not (sladet_root / 'annotations/val_full.json').exists()
    for img in val['images']:
        assert 'labeled_regions' not in img
        _, objects = draw_smear(_rng(TINY['seed'], 'val', img['id'] - 1),
                                preset_params('sladet', img_size=TINY['img_size']))
        assert [_xyxy(a) for a in _by_image(val)[img['id']]] == [o['bbox'] for o in objects]


def test_attributes(sladet_root):
    full = _coco(sladet_root, 'train_full')
    assert full['info']['attributes'] == list(SLADET_ATTRIBUTES) and len(SLADET_ATTRIBUTES) == 6
    wbc = np.array([a['attributes'] for a in full['annotations'] if a['category_id'] == 2])
    others = [a['attributes'] for a in full['annotations'] if a['category_id'] != 2]
    assert others and all(a == [-1] * 6 for a in others)
    assert set(np.unique(wbc)) == {0, 1} and wbc.shape[1] == 6
    assert (wbc.min(0) == 0).all() and (wbc.max(0) == 1).all()   # both values of each


def test_regions_cover_a_fifth_and_sit_near_white_cells():
    spec = preset_params('sladet')['regions']
    objects = [dict(label='WBC', bbox=[200, 200, 300, 300])]
    shares, near, counts = [], 0, []
    for i in range(300):
        regions = draw_labeled_regions(np.random.default_rng(i), 512, objects, spec)
        counts.append(len(regions))
        shares.append(sum((x2 - x1) * (y2 - y1) for x1, y1, x2, y2 in regions) / 512**2)
        near += box_in_regions(objects[0]['bbox'], regions)
    assert abs(np.mean(shares) - 0.2) < 0.01 and min(shares) > 0.15 and max(shares) < 0.25
    assert set(counts) == {1, 2, 3}
    assert near / 300 > 0.8                          # on_wbc 0.8 (the others by chance)
    # the half-open rule: a centre on x1 / y1 is in, on x2 / y2 out
    assert box_in_regions([10, 10, 20, 20], [[15, 15, 30, 30]])
    assert not box_in_regions([10, 10, 20, 20], [[0, 0, 15, 30]])


def _wbc(attributes, seed):
    """One white cell (radius 52) on a 128 px field, painted with ``attributes``."""
    cell = _Cell('WBC', 64.0, 64.0, 52.0, np.zeros(3), np.zeros(3))
    cell.extra['attributes'] = list(attributes)
    params = preset_params('sladet')
    params['look'].update(cell_blur_p=0.0, defocus_p=0.0)
    img = render_smear(np.random.default_rng(seed), 128, [cell], params,
                       painters=dict(WBC=paint_wbc_attributes)).astype(np.float32)
    yy, xx = np.mgrid[:128, :128]
    return img, np.hypot(xx - 64, yy - 64)


def _filled(mask):
    """``mask`` closed (5 x 5) and with the holes in its outlines filled."""
    import cv2
    closed = cv2.morphologyEx(mask.astype(np.uint8), cv2.MORPH_CLOSE, np.ones((5, 5), np.uint8))
    contours, _ = cv2.findContours(closed, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    out = np.zeros(mask.shape, np.uint8)
    cv2.drawContours(out, contours, -1, 1, thickness=cv2.FILLED)
    return out.astype(bool)


def _otsu(values):
    import cv2
    t, _ = cv2.threshold(np.clip(values, 0, 255).astype(np.uint8), 0, 255,
                         cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return t


def _nucleus(img, dist):
    """The nucleus: the cell's purple pixels, dark in green (below the cell's
    Otsu threshold) and redder than green (above it; blue cytoplasm is not)."""
    cell = dist < 50
    purple = img[..., 2] - img[..., 1] + 128
    return (purple > _otsu(purple[cell])) & (img[..., 1] < _otsu(img[cell, 1])) & cell


@pytest.mark.parametrize('seed', range(6))
def test_each_attribute_is_visible(seed):
    """Cells that differ in one attribute only (same random draws) differ as
    the attribute says."""
    base = np.random.default_rng(100 + seed).integers(0, 2, 6)

    def pair(k):
        a, b = base.copy(), base.copy()
        a[k], b[k] = 0, 1
        return _wbc(a, seed), _wbc(b, seed)

    (a, dist), (b, _) = pair(0)     # chromatin: coarse is darker and clumped
    na, nb = _nucleus(a, dist), _nucleus(b, dist)
    assert b[nb, 1].mean() < a[na, 1].mean() - 15 and b[nb, 1].std() > a[na, 1].std()

    def solidity(mask):
        """Area inside the outlines (nucleoli filled) / their convex hull's."""
        import cv2
        contours, _ = cv2.findContours(mask.astype(np.uint8), cv2.RETR_EXTERNAL,
                                       cv2.CHAIN_APPROX_NONE)
        hull = cv2.convexHull(np.concatenate(contours))
        return sum(cv2.contourArea(c) for c in contours) / cv2.contourArea(hull)

    (a, dist), (b, _) = pair(1)     # shape: lobes fill less of their hull
    assert solidity(_nucleus(b, dist)) < solidity(_nucleus(a, dist)) - 0.15
    (a, dist), (b, _) = pair(2)     # nucleoli: pale spots in the nucleus
    lighter = (b - a)[..., 1] > 15
    assert lighter.sum() > 20 and (lighter & ~_filled(_nucleus(a, dist))).sum() <= 2
    (a, dist), (b, _) = pair(3)     # abundant cytoplasm: a smaller nucleus
    assert _nucleus(b, dist).sum() < 0.6 * _nucleus(a, dist).sum()
    (a, dist), (b, _) = pair(4)     # basophilia: the cytoplasm turns blue (B - R up)
    ring = (dist > 44) & (dist < 48)
    assert (b[ring, 0] - b[ring, 2]).mean() > (a[ring, 0] - a[ring, 2]).mean() + 30
    (a, dist), (b, _) = pair(5)     # vacuoles: clear holes, only brighter, in the cell
    diff = (b - a)[..., 1]
    assert (diff > 15).sum() > 20 and diff.min() > -3 and dist[diff > 15].max() < 52


def test_dataset_and_config(sladet_root):
    ds = SyntheticCellsDataset(data_root=str(sladet_root), ann_file='annotations/train.json',
                               data_prefix=dict(img=''), synthetic=TINY,
                               filter_cfg=dict(filter_empty_gt=False), pipeline=[])
    assert len(ds) == TINY['num_train']
    from mmengine.config import Config

    from ..conftest import REPO
    cfg = Config.fromfile(str(REPO / 'configs/_base_/datasets/synthetic_sladet.py'))
    assert cfg.synthetic['preset'] == 'sladet' and cfg.img_scale == (320, 320)
    assert tuple(cfg.attribute_names) == SLADET_ATTRIBUTES
