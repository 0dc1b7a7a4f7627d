import hashlib
import json

import numpy as np
import pytest
from pycocotools.coco import COCO

from plb_mm.datasets import (SyntheticCellsDataset, ensure_synthetic_cells,
                             generate_synthetic_cells)
from plb_mm.datasets.synthetic_cells import (SYNTHETIC_PRESETS, _rng, draw_smear,
                                             preset_params)
from plb_mm.datasets.synthetic_stats import box_statistics, format_statistics

from ..conftest import REPO, TINY_SYNTHETIC, run_tool


def _areas(root, split='train'):
    with open(root / 'annotations' / f'{split}.json') as f:
        return np.array([a['area'] for a in json.load(f)['annotations']])


def _sha(*parts):
    h = hashlib.sha256()
    for p in parts:
        h.update(p if isinstance(p, bytes) else json.dumps(p).encode())
    return h.hexdigest()


def test_deterministic_for_a_seed(tmp_path):
    a = generate_synthetic_cells(str(tmp_path / 'a'), num_train=3, num_val=1, seed=7, verbose=False)
    b = generate_synthetic_cells(str(tmp_path / 'b'), num_train=3, num_val=1, seed=7, verbose=False)
    c = generate_synthetic_cells(str(tmp_path / 'c'), num_train=3, num_val=1, seed=8, verbose=False)
    for split in ('train', 'val'):
        ja = (tmp_path / 'a/annotations' / f'{split}.json').read_text()
        assert ja == (tmp_path / 'b/annotations' / f'{split}.json').read_text()
    assert (tmp_path / 'a/train/000002.jpg').read_bytes() == \
        (tmp_path / 'b/train/000002.jpg').read_bytes()
    assert (tmp_path / 'a/annotations/train.json').read_text() != \
        (tmp_path / 'c/annotations/train.json').read_text()
    assert a.endswith('a') and c.endswith('c')
    meta = json.loads((tmp_path / 'a/meta.json').read_text())
    assert meta['preset'] == 'bccd_like' and meta['img_size'] == 416   # the default


# Computed with the generator before the presets (commit cfb8bfc): the easy
# preset must give the same pixels and boxes for a seed.
EASY_PIXELS_AND_BOXES = 'fa9182a73b8fb92550ecacf3a25ba9fea6cc25e8acaaab2cce9df9d4d26bc87e'
EASY_COCO = dict(train='abebfbb4fe7119433448f4627d5e81916523bee36fd1359999903b93ab77fce3',
                 val='5ceaa6628c1824cda8adb6e412c7d9de7938cf2bd8b0dd2b245f8a2d0cf28961')


def test_easy_preset_is_the_old_generator_bit_for_bit(tmp_path):
    h = hashlib.sha256()
    for seed, split, i, size in [(0, 'train', 0, 320), (0, 'train', 1, 320), (0, 'val', 0, 320),
                                 (3, 'train', 5, 128), (7, 'val', 2, 200)]:
        img, objects = draw_smear(_rng(seed, split, i), preset_params('easy', img_size=size))
        h.update(img.tobytes())
        h.update(json.dumps(objects).encode())
    assert h.hexdigest() == EASY_PIXELS_AND_BOXES
    root = tmp_path / 'easy'
    generate_synthetic_cells(str(root), num_train=3, num_val=2, seed=0, preset='easy',
                             verbose=False)
    for split, want in EASY_COCO.items():
        coco = json.loads((root / 'annotations' / f'{split}.json').read_text())
        assert _sha([coco['images'], coco['annotations'], coco['categories']]) == want
    first = json.loads((root / 'annotations/train.json').read_text())['annotations'][:2]
    assert [a['bbox'] for a in first] == [[163, 233, 60, 60], [201, 115, 84, 84]]


def _per_image(root, split):
    """{file_name: (image record, [annotations without their ids])}"""
    data = json.loads((root / 'annotations' / f'{split}.json').read_text())
    anns = {}
    for a in data['annotations']:
        anns.setdefault(a['image_id'], []).append({k: v for k, v in a.items() if k != 'id'})
    return {img['file_name']: (img, anns.get(img['id'], [])) for img in data['images']}


@pytest.mark.parametrize('preset', ['bccd_like', 'easy'])
def test_larger_set_starts_with_the_same_images(tmp_path, preset):
    small = tmp_path / 'small'
    large = tmp_path / 'large'
    generate_synthetic_cells(str(small), num_train=2, num_val=1, seed=4, img_size=200,
                             preset=preset, verbose=False)
    generate_synthetic_cells(str(large), num_train=4, num_val=2, seed=4, img_size=200,
                             preset=preset, verbose=False)
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


def _check_valid_coco(root, num_images):
    coco = COCO(str(root / 'annotations/train.json'))
    assert [c['name'] for c in coco.loadCats(coco.getCatIds())] == ['RBC', 'WBC', 'Platelet']
    assert len(coco.getImgIds()) == num_images
    ann_ids = [a['id'] for a in coco.dataset['annotations']]
    assert len(ann_ids) == len(set(ann_ids)) > 0
    for ann in coco.dataset['annotations']:
        img = coco.imgs[ann['image_id']]
        x, y, w, h = ann['bbox']
        assert 0 <= x and 0 <= y and x + w <= img['width'] and y + h <= img['height']
        assert w >= 1 and h >= 1 and ann['area'] == w * h and ann['iscrowd'] == 0
        assert (root / img['file_name']).is_file()


def test_valid_coco(synthetic_root):
    _check_valid_coco(synthetic_root, TINY_SYNTHETIC['num_train'])


def test_easy_classes_sit_in_their_size_bands(tmp_path):
    root = tmp_path / 'easy'
    generate_synthetic_cells(str(root), num_train=8, num_val=0, preset='easy', verbose=False)
    _check_valid_coco(root, 8)
    with open(root / 'annotations/train.json') as f:
        anns = json.load(f)['annotations']
    by_cat = {c: [a['area'] for a in anns if a['category_id'] == c] for c in (1, 2, 3)}
    assert max(by_cat[3]) < 32**2                    # platelets are small
    assert min(by_cat[2]) >= 32**2 and max(by_cat[2]) < 96**2  # white cells medium
    assert min(by_cat[1]) >= 32**2                   # red cells medium or large
    areas = _areas(root)
    assert (areas >= 96**2).sum() > 0                # and large ones occur


# Real BCCD (trainval, 292 images, 640x480 resized to 416x416):
BCCD_416 = dict(boxes_per_image=13.5,
                sqrt_area=dict(RBC=(66, 76, 87), WBC=(96, 142, 175), Platelet=(24, 30, 37)),
                overlap=0.21, border=0.23, bands=dict(small=0.05, medium=0.87, large=0.08))


def test_bccd_like_has_the_box_statistics_of_bccd(tmp_path):
    root = tmp_path / 'stats'
    generate_synthetic_cells(str(root), num_train=200, num_val=0, seed=0, verbose=False)
    coco = json.loads((root / 'annotations/train.json').read_text())
    s = box_statistics(coco)
    print(format_statistics([('bccd_like', s)]))
    assert s['images'] == 200 and coco['images'][0]['width'] == 416
    mean, lo, hi = s['boxes_per_image']
    assert abs(mean / BCCD_416['boxes_per_image'] - 1) < 0.15
    assert lo >= 1 and hi <= 40
    for name, (p10, med, p90) in BCCD_416['sqrt_area'].items():
        have = s['classes'][name]['sqrt_area']
        assert abs(have[1] / med - 1) < 0.10, (name, have)
        assert abs(have[0] / p10 - 1) < 0.15 and abs(have[2] / p90 - 1) < 0.15, (name, have)
    assert abs(s['overlap'] - BCCD_416['overlap']) < 0.05
    assert abs(s['border'] - BCCD_416['border']) < 0.07          # cells cut by the border
    for band, share in BCCD_416['bands'].items():
        assert abs(s['bands'][band] - share) < 0.03, (band, s['bands'])


def test_box_statistics_hand_worked():
    # Image 1 (200x100): boxes A and B overlap with IoU 50/150 = 1/3, C is
    # alone and touches the right border. Image 2 has no boxes.
    coco = dict(
        images=[dict(id=1, width=200, height=100), dict(id=2, width=200, height=100)],
        categories=[dict(id=1, name='a'), dict(id=2, name='b')],
        annotations=[dict(id=1, image_id=1, category_id=1, bbox=[0, 10, 10, 10]),
                     dict(id=2, image_id=1, category_id=1, bbox=[5, 10, 10, 10]),
                     dict(id=3, image_id=1, category_id=2, bbox=[160, 20, 40, 40])])
    s = box_statistics(coco)
    assert s['boxes'] == 3 and s['boxes_per_image'] == (1.5, 0, 3)
    assert s['overlap'] == pytest.approx(2 / 3)            # A and B
    assert s['border'] == pytest.approx(2 / 3)             # A (left) and C (right)
    assert s['bands'] == dict(small=pytest.approx(2 / 3), medium=pytest.approx(1 / 3), large=0)
    assert s['classes']['a']['sqrt_area'] == (10, 10, 10) and s['classes']['b']['count'] == 1
    # Resized to 100x50 (half): sides halve, C's area 20x20 becomes small.
    r = box_statistics(coco, resize=(100, 50))
    assert r['classes']['b']['sqrt_area'] == (20, 20, 20) and r['bands']['small'] == 1
    assert r['overlap'] == s['overlap'] and r['border'] == s['border']
    # A stricter overlap threshold than 1/3 leaves no overlapping boxes.
    assert box_statistics(coco, overlap_iou=0.34)['overlap'] == 0
    table = format_statistics([('x', s), ('y', r)])
    assert '| boxes / image (min-max) | 1.5 (0-3) | 1.5 (0-3) |' in table
    assert '| class 2: sqrt(area) px median (p10-p90) | 40 (40-40) | 20 (20-20) |' in table


def test_box_stats_tool(tmp_path):
    ann = tmp_path / 'a.json'
    ann.write_text(json.dumps(dict(
        images=[dict(id=1, width=640, height=480, file_name='x.jpg')],
        categories=[dict(id=1, name='RBC')],
        annotations=[dict(id=1, image_id=1, category_id=1, bbox=[100, 100, 160, 120],
                          area=19200, iscrowd=0)])))
    out = run_tool('tools/analysis_tools/box_stats.py', str(ann), '--resize', '416', '416',
                   '--preset', 'easy', '--num', '3').stdout
    assert 'a.json @416x416' in out and 'easy (3 images, seed 0)' in out
    assert '| class 1: sqrt(area) px median (p10-p90) | 104 (104-104) |' in out  # 104x104 at 416


def test_box_stats_tool_names_a_missing_file(tmp_path, monkeypatch):
    import runpy
    monkeypatch.setattr('sys.argv', ['box_stats.py', str(tmp_path / 'none.json')])
    with pytest.raises(SystemExit, match='none.json'):
        runpy.run_path(str(REPO / 'tools/analysis_tools/box_stats.py'), run_name='__main__')


def test_presets_and_overrides():
    assert preset_params()['img_size'] == 416 and preset_params('easy')['img_size'] == 320
    p = preset_params('bccd_like', img_size=320, cells=dict(RBC=dict(unlabelled=(0, 0))),
                      look=dict(noise=(0, 0)))
    assert p['img_size'] == 320 and p['cells']['RBC']['unlabelled'] == [0, 0]
    assert p['cells']['RBC']['count'] == \
        list(SYNTHETIC_PRESETS['bccd_like']['cells']['RBC']['count'])
    assert p['look']['noise'] == [0, 0] and p['look']['focus_blur'] == [0.5, 1.0]
    with pytest.raises(ValueError, match=r"unknown preset 'hard'.*bccd_like.*easy"):
        preset_params('hard')
    with pytest.raises(ValueError, match=r'unknown parameter bccd_like.cells.RBC.colour'):
        preset_params(cells=dict(RBC=dict(colour=1)))
    # an easy-style diameter (min, max) is not silently read as bccd_like's
    with pytest.raises(ValueError, match=r'bccd_like.cells.RBC.diameter must be a dict'):
        preset_params(cells=dict(RBC=dict(diameter=(56, 104))))
    with pytest.raises(ValueError, match=r'renderer comes with the preset'):
        preset_params(renderer='easy')
    # complete labels: more boxes per image, every drawn red cell boxed
    rng = lambda: _rng(0, 'train', 3)  # noqa: E731
    _, default = draw_smear(rng(), preset_params())
    _, complete = draw_smear(rng(), preset_params(cells=dict(RBC=dict(unlabelled=(0.0, 0.0)))))
    assert len(complete) > len(default)


def test_bccd_like_image_looks_like_a_smear():
    img, objects = draw_smear(_rng(0, 'train', 0), preset_params())
    assert img.shape == (416, 416, 3) and img.dtype == np.uint8
    # light background, darker cells; the white cell's nucleus is the darkest
    # green (purple) in the image
    assert np.percentile(img.mean(2), 90) > 180 and np.percentile(img.mean(2), 10) < 180
    wbc = [o['bbox'] for o in objects if o['label'] == 'WBC'][0]
    x1, y1, x2, y2 = wbc
    assert img[y1:y2, x1:x2, 1].min() == img[..., 1].min()
    # noise: neighbouring background pixels differ
    assert np.abs(np.diff(img[..., 0].astype(int), axis=1)).mean() > 0.5


def _old_meta(root):
    """Turn ``root``'s meta.json into the format of a set made before the
    presets (the old default data set)."""
    (root / 'meta.json').write_text(json.dumps(dict(
        num_train=2, num_val=1, seed=0, img_size=320,
        cells=SYNTHETIC_PRESETS['easy']['cells'])))


def test_ensure_reuses_and_refuses_other_parameters(synthetic_root):
    assert ensure_synthetic_cells(str(synthetic_root), **TINY_SYNTHETIC) == str(synthetic_root)
    # meta.json, as keyword arguments, asks for the same set
    meta = json.loads((synthetic_root / 'meta.json').read_text())
    assert meta == dict(TINY_SYNTHETIC, preset='bccd_like')
    assert ensure_synthetic_cells(str(synthetic_root), **meta) == str(synthetic_root)
    with pytest.raises(ValueError, match=r'meta.json.*other parameters.*num_train'):
        ensure_synthetic_cells(str(synthetic_root), **dict(TINY_SYNTHETIC, num_train=9))
    with pytest.raises(ValueError,
                       match=r"meta.json.*other parameters.*'preset': \('bccd_like', 'easy'\)"):
        ensure_synthetic_cells(str(synthetic_root), **dict(TINY_SYNTHETIC, preset='easy'))


def test_ensure_regenerates_a_set_from_before_the_presets(tmp_path, capsys):
    root = tmp_path / 'old'
    generate_synthetic_cells(str(root), num_train=2, num_val=1, preset='easy', verbose=False)
    _old_meta(root)
    old_image = (root / 'train/000000.jpg').read_bytes()
    ensure_synthetic_cells(str(root), num_train=2, num_val=1, verbose=False)
    assert 'predates the presets' in capsys.readouterr().out
    meta = json.loads((root / 'meta.json').read_text())
    assert meta['preset'] == 'bccd_like' and meta['img_size'] == 416
    assert (root / 'train/000000.jpg').read_bytes() != old_image
    assert sorted(p.name for p in tmp_path.iterdir()) == ['.old.lock', 'old']   # nothing left over


def test_ensure_reuses_a_set_from_before_the_presets_asked_for_as_it_is(tmp_path, capsys):
    # plb_mm.utils.benchmark passes a set's meta.json back to use it as it is
    root = tmp_path / 'old'
    generate_synthetic_cells(str(root), num_train=2, num_val=1, preset='easy', verbose=False)
    _old_meta(root)
    image = (root / 'train/000000.jpg').read_bytes()
    old_meta = json.loads((root / 'meta.json').read_text())
    ds = SyntheticCellsDataset(data_root=str(root), ann_file='annotations/train.json',
                               data_prefix=dict(img=''), synthetic=old_meta, pipeline=[])
    assert len(ds) == 2 and (root / 'train/000000.jpg').read_bytes() == image
    assert 'regenerating' not in capsys.readouterr().out


def test_ensure_regenerates_when_the_preset_changed(tmp_path, monkeypatch, capsys):
    root = tmp_path / 'set'
    ensure_synthetic_cells(str(root), num_train=1, num_val=1, img_size=64, verbose=False)
    before = (root / 'val/000000.jpg').read_bytes()
    monkeypatch.setitem(SYNTHETIC_PRESETS['bccd_like']['look'], 'noise', (9.0, 9.0))
    ensure_synthetic_cells(str(root), num_train=1, num_val=1, img_size=64, verbose=False)
    assert "preset 'bccd_like' has changed" in capsys.readouterr().out
    assert json.loads((root / 'params.json').read_text())['look']['noise'] == [9.0, 9.0]
    assert (root / 'val/000000.jpg').read_bytes() != before
    # a folder that holds more than the generator wrote is not deleted
    (root / 'notes.txt').write_text('mine')
    monkeypatch.setitem(SYNTHETIC_PRESETS['bccd_like']['look'], 'noise', (8.0, 8.0))
    with pytest.raises(ValueError, match=r"out of date.*\['notes.txt'\]"):
        ensure_synthetic_cells(str(root), num_train=1, num_val=1, img_size=64, verbose=False)


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
    easy = SyntheticCellsDataset(
        data_root=str(tmp_path / 'easy'), ann_file='annotations/val.json', data_prefix=dict(img=''),
        synthetic=dict(num_train=1, num_val=1, preset='easy'), test_mode=True, pipeline=[])
    assert easy.get_data_info(0)['width'] == 320


def test_cli(tmp_path):
    out = tmp_path / 'cli'
    proc = run_tool('tools/misc/gen_synthetic_cells.py', '--out', str(out), '--num-train', '2',
                    '--num-val', '1', '--seed', '5', '--img-size', '200')
    assert 'val: 1/1' in proc.stdout and 'preset bccd_like' in proc.stdout
    meta = json.loads((out / 'meta.json').read_text())
    assert meta['seed'] == 5 and meta['img_size'] == 200 and meta['num_train'] == 2
    proc = run_tool('tools/misc/gen_synthetic_cells.py', '--out', str(out), check=False)
    assert proc.returncode != 0 and 'exists' in proc.stderr
    run_tool('tools/misc/gen_synthetic_cells.py', '--out', str(tmp_path / 'easy'),
             '--num-train', '1', '--num-val', '0', '--preset', 'easy')
    meta = json.loads((tmp_path / 'easy/meta.json').read_text())
    assert meta['preset'] == 'easy' and meta['img_size'] == 320


def test_sparse_training_set(synthetic_root, tmp_path):
    """CheckedCocoDataset's ``sparsify``, through the synthetic subclass."""
    import shutil
    root = tmp_path / 'cells'
    shutil.copytree(synthetic_root, root)
    full = json.loads((root / 'annotations/train.json').read_text())

    def dataset(**sparsify):
        return SyntheticCellsDataset(
            data_root=str(root), ann_file='annotations/train.json', data_prefix=dict(img=''),
            synthetic=TINY_SYNTHETIC, sparsify=sparsify or None, pipeline=[])

    def boxes(ds):
        return [len(ds.get_data_info(i)['instances']) for i in range(len(ds))]

    n = [sum(a['image_id'] == img['id'] for a in full['annotations']) for img in full['images']]
    assert boxes(dataset()) == n
    half = dataset(ratio=0.5, seed=0)
    # per image: r * n rounded half up, at least one; every image kept
    assert boxes(half) == [max(1, int(0.5 * k + 0.5)) for k in n]
    assert boxes(dataset(one_per_image=True)) == [1] * len(n)
    sparse = root / 'annotations/train_r0.5_s0.json'
    dropped = json.loads((root / 'annotations/train_r0.5_s0_dropped.json').read_text())
    kept = json.loads(sparse.read_text())
    assert kept['info']['sparsify']['ratio'] == 0.5
    ids = {a['id'] for a in kept['annotations']} | {a['id'] for a in dropped['annotations']}
    assert ids == {a['id'] for a in full['annotations']}  # kept + dropped = all
    mtime = sparse.stat().st_mtime_ns
    assert boxes(dataset(ratio=0.5, seed=0)) == boxes(half) and sparse.stat().st_mtime_ns == mtime
    assert boxes(dataset(ratio=0.5, seed=1)) != boxes(half) or \
        json.loads((root / 'annotations/train_r0.5_s1.json').read_text())['annotations'] \
        != kept['annotations']
    with pytest.raises(ValueError, match='unknown sparsify option'):
        dataset(rate=0.5)
    with pytest.raises(ValueError, match='ratio'):
        dataset(ratio=1.5)
    with pytest.raises(ValueError, match='sparsify is for training sets'):
        SyntheticCellsDataset(data_root=str(root), ann_file='annotations/val.json',
                              data_prefix=dict(img=''), synthetic=TINY_SYNTHETIC,
                              sparsify=dict(ratio=0.5), test_mode=True, pipeline=[])
