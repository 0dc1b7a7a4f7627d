import json

import numpy as np
import pytest
from pycocotools.coco import COCO

from plb_mm.datasets import (SyntheticCellsDataset, ensure_synthetic_cells,
                             generate_synthetic_cells)

from ..conftest import TINY_SYNTHETIC, run_tool


def _areas(root, split='train'):
    with open(root / 'annotations' / f'{split}.json') as f:
        return np.array([a['area'] for a in json.load(f)['annotations']])


def test_deterministic_for_a_seed(tmp_path):
    a = generate_synthetic_cells(str(tmp_path / 'a'), num_train=3, num_val=1, seed=7, verbose=False)
    b = generate_synthetic_cells(str(tmp_path / 'b'), num_train=3, num_val=1, seed=7, verbose=False)
    c = generate_synthetic_cells(str(tmp_path / 'c'), num_train=3, num_val=1, seed=8, verbose=False)
    for split in ('train', 'val'):
        ja = (tmp_path / 'a/annotations' / f'{split}.json').read_text()
        assert ja == (tmp_path / 'b/annotations' / f'{split}.json').read_text()
    assert (tmp_path / 'a/train/000002.jpg').read_bytes() == (tmp_path / 'b/train/000002.jpg').read_bytes()
    assert (tmp_path / 'a/annotations/train.json').read_text() != \
        (tmp_path / 'c/annotations/train.json').read_text()
    assert a.endswith('a') and c.endswith('c')


def _per_image(root, split):
    """{file_name: (image record, [annotations without their ids])}"""
    data = json.loads((root / 'annotations' / f'{split}.json').read_text())
    anns = {}
    for a in data['annotations']:
        anns.setdefault(a['image_id'], []).append({k: v for k, v in a.items() if k != 'id'})
    return {img['file_name']: (img, anns.get(img['id'], [])) for img in data['images']}


def test_larger_set_starts_with_the_same_images(tmp_path):
    small = tmp_path / 'small'
    large = tmp_path / 'large'
    generate_synthetic_cells(str(small), num_train=2, num_val=1, seed=4, img_size=128, verbose=False)
    generate_synthetic_cells(str(large), num_train=4, num_val=2, seed=4, img_size=128, verbose=False)
    for split, n in (('train', 2), ('val', 1)):
        have, more = _per_image(small, split), _per_image(large, split)
        assert len(have) == n and len(more) == 2 * n
        for name, record in have.items():
            assert more[name] == record and record[1]                # same boxes
            assert (small / name).read_bytes() == (large / name).read_bytes()
        # the images the larger set adds are new drawings, not copies
        extra = sorted(set(more) - set(have))
        assert all((large / e).read_bytes() != (large / name).read_bytes()
                   for e in extra for name in have)
    # train and val draw from different streams
    assert (large / 'train/000000.jpg').read_bytes() != (large / 'val/000000.jpg').read_bytes()


def test_valid_coco_with_all_size_bands(synthetic_root):
    coco = COCO(str(synthetic_root / 'annotations/train.json'))
    assert [c['name'] for c in coco.loadCats(coco.getCatIds())] == ['RBC', 'WBC', 'Platelet']
    assert len(coco.getImgIds()) == TINY_SYNTHETIC['num_train']
    ann_ids = [a['id'] for a in coco.dataset['annotations']]
    assert len(ann_ids) == len(set(ann_ids)) > 0
    for ann in coco.dataset['annotations']:
        img = coco.imgs[ann['image_id']]
        x, y, w, h = ann['bbox']
        assert 0 <= x and 0 <= y and x + w <= img['width'] and y + h <= img['height']
        assert w >= 1 and h >= 1 and ann['area'] == w * h and ann['iscrowd'] == 0
        assert (synthetic_root / img['file_name']).is_file()
    areas = _areas(synthetic_root)
    assert (areas < 32**2).sum() > 0                             # small
    assert ((areas >= 32**2) & (areas < 96**2)).sum() > 0        # medium
    assert (areas >= 96**2).sum() > 0                            # large


def test_classes_sit_in_their_size_bands(synthetic_root):
    with open(synthetic_root / 'annotations/train.json') as f:
        anns = json.load(f)['annotations']
    by_cat = {c: [a['area'] for a in anns if a['category_id'] == c] for c in (1, 2, 3)}
    assert max(by_cat[3]) < 32**2                    # platelets are small
    assert min(by_cat[2]) >= 32**2 and max(by_cat[2]) < 96**2  # white cells medium
    assert min(by_cat[1]) >= 32**2                   # red cells medium or large


def test_ensure_reuses_and_refuses_other_parameters(synthetic_root):
    assert ensure_synthetic_cells(str(synthetic_root), **TINY_SYNTHETIC) == str(synthetic_root)
    with pytest.raises(ValueError, match=r'meta.json.*other parameters.*num_train'):
        ensure_synthetic_cells(str(synthetic_root), **dict(TINY_SYNTHETIC, num_train=9))


def test_dataset_generates_on_first_use(tmp_path):
    root = tmp_path / 'fresh'
    ds = SyntheticCellsDataset(
        data_root=str(root), ann_file='annotations/val.json', data_prefix=dict(img=''),
        synthetic=dict(num_train=1, num_val=2, seed=3), test_mode=True, pipeline=[])
    assert (root / 'meta.json').is_file() and len(ds) == 2
    info = ds.get_data_info(0)
    assert info['img_path'].startswith(str(root)) and len(info['instances']) > 0
    assert ds.metainfo['classes'] == ('RBC', 'WBC', 'Platelet')
    train = SyntheticCellsDataset(
        data_root=str(root), ann_file='annotations/train.json', data_prefix=dict(img=''),
        synthetic=dict(num_train=1, num_val=2, seed=3), pipeline=[])
    assert train.image_check_level == 'header' and len(train) == 1  # its JPEGs pass the check


def test_cli(tmp_path):
    out = tmp_path / 'cli'
    proc = run_tool('tools/misc/gen_synthetic_cells.py', '--out', str(out), '--num-train', '2',
                    '--num-val', '1', '--seed', '5', '--img-size', '200')
    assert 'val: 1/1' in proc.stdout
    meta = json.loads((out / 'meta.json').read_text())
    assert meta['seed'] == 5 and meta['img_size'] == 200 and meta['num_train'] == 2
    proc = run_tool('tools/misc/gen_synthetic_cells.py', '--out', str(out), check=False)
    assert proc.returncode != 0 and 'exists' in proc.stderr
