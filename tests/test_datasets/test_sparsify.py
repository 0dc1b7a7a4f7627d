"""Sparsifying a COCO file: the rounding rule by hand, the fraction kept per
image, determinism, independence of the file's order, nesting across r, one
per image, the dropped file as the complement, and the errors."""
import json
import random

import pytest

from plb_mm.datasets.coco_format import CocoFormatError
from plb_mm.datasets.sparsify import sparse_keep_count, sparsify_coco, sparsify_coco_file


def _coco():
    """Image 1: 10 boxes (ids 1-10); image 2: 3 boxes (11-13); image 3: none;
    image 4: 2 boxes (14, 15) and a crowd region (16)."""
    images = [dict(id=i, file_name=f'{i}.png', width=100, height=100) for i in (1, 2, 3, 4)]
    per_image = [(1, range(1, 11)), (2, range(11, 14)), (4, range(14, 17))]
    anns = [dict(id=a, image_id=i, category_id=1, bbox=[a, a, 5, 5], area=25,
                 iscrowd=int(a == 16)) for i, ids in per_image for a in ids]
    return dict(info=dict(description='test'), images=images, annotations=anns,
                categories=[dict(id=1, name='cell')])


def _kept(coco, image_id=None):
    return sorted(a['id'] for a in coco['annotations']
                  if image_id is None or a['image_id'] == image_id)


@pytest.mark.parametrize('n, r, k', [
    (10, 0.3, 3), (5, 0.5, 3), (3, 0.1, 1), (10, 0.15, 2), (10, 0.25, 3), (10, 0.24, 2),
    (102, 0.1, 10), (4, 1.0, 4), (1, 0.1, 1), (0, 0.5, 0), (7, None, 1), (0, None, 0)])
def test_keep_count_rounds_half_up_and_keeps_at_least_one(n, r, k):
    assert sparse_keep_count(n, r) == k


def test_fraction_per_image_and_info():
    coco = _coco()
    kept, dropped = sparsify_coco(coco, 0.3, seed=0, source='in.json')
    # image 1: 10 -> 3; image 2: floor(0.9 + 0.5) = 1; image 4: floor(0.6 + 0.5) = 1 (+ crowd)
    assert [len(_kept(kept, i)) for i in (1, 2, 3, 4)] == [3, 1, 0, 2]
    assert 16 in _kept(kept)  # the crowd region is always kept
    assert kept['images'] == coco['images'] and kept['categories'] == coco['categories']
    s = kept['info']['sparsify']
    assert kept['info']['description'] == 'test'
    assert (s['mode'], s['ratio'], s['seed'], s['source'], s['part']) == (
        'ratio', 0.3, 0, 'in.json', 'kept')
    assert (s['annotations'], s['crowd'], s['kept'], s['dropped']) == (16, 1, 6, 10)
    assert s['retention'] == pytest.approx(5 / 15) and 'floor(r * n + 1/2)' in s['rule']
    assert s['dropped_ids'] == [dict(image_id=i, ids=_kept(dropped, i)) for i in (1, 2, 4)]
    assert dropped['info']['sparsify']['part'] == 'dropped'
    assert coco == _coco()  # the input is not modified


def test_dropped_is_the_complement():
    coco = _coco()
    kept, dropped = sparsify_coco(coco, 0.5, seed=3)
    assert not set(_kept(kept)) & set(_kept(dropped))
    assert sorted(_kept(kept) + _kept(dropped)) == list(range(1, 17))
    by_id = {a['id']: a for a in coco['annotations']}
    assert all(a == by_id[a['id']] for a in kept['annotations'] + dropped['annotations'])


def test_deterministic_order_independent_and_nested():
    coco = _coco()
    a = _kept(sparsify_coco(coco, 0.3, seed=0)[0])
    assert a == _kept(sparsify_coco(_coco(), 0.3, seed=0)[0])
    assert a != _kept(sparsify_coco(coco, 0.3, seed=1)[0])
    shuffled = _coco()
    random.Random(5).shuffle(shuffled['annotations'])
    shuffled['images'].reverse()
    assert _kept(sparsify_coco(shuffled, 0.3, seed=0)[0]) == a
    # for one seed, sparser sets are subsets of denser ones
    sets = [set(_kept(sparsify_coco(coco, r, seed=2)[0])) for r in (0.1, 0.3, 0.5, 0.8, 1.0)]
    one = set(_kept(sparsify_coco(coco, seed=2, one_per_image=True)[0]))
    assert one <= sets[0] <= sets[1] <= sets[2] <= sets[3] <= sets[4] == set(range(1, 17))


def test_one_per_image():
    kept, dropped = sparsify_coco(_coco(), seed=0, one_per_image=True)
    assert [len(_kept(kept, i)) for i in (1, 2, 3, 4)] == [1, 1, 0, 2]  # image 4: + crowd
    s = kept['info']['sparsify']
    assert (s['mode'], s['ratio'], s['kept'], s['dropped']) == ('one_per_image', None, 4, 12)
    assert len(dropped['annotations']) == 12


def test_sparsifying_twice_keeps_the_record():
    once, _ = sparsify_coco(_coco(), 0.5, seed=0)
    twice, _ = sparsify_coco(once, 0.5, seed=0)
    assert twice['info']['sparsify']['previous']['ratio'] == 0.5
    assert 'previous' not in once['info']['sparsify']


@pytest.mark.parametrize('kwargs, match', [
    (dict(ratio=0), r'the ratio must lie in \(0, 1\].*got 0'),
    (dict(ratio=1.5), r'the ratio must lie in \(0, 1\].*got 1.5'),
    (dict(ratio=-0.2), 'got -0.2'),
    (dict(ratio=float('nan')), 'got nan'),
    (dict(), r'give a ratio r in \(0, 1\] or one_per_image'),
    (dict(ratio=0.5, one_per_image=True), 'not both'),
    (dict(ratio=0.5, seed=-1), 'the seed must be an integer >= 0'),
])
def test_bad_arguments_name_the_data(kwargs, match):
    with pytest.raises(ValueError, match=f'^cells.json: .*{match}'):
        sparsify_coco(_coco(), name='cells.json', **kwargs)


def test_files_written_and_errors_name_the_file(tmp_path):
    src = tmp_path / 'train.json'
    src.write_text(json.dumps(_coco()))
    out, drop = tmp_path / 'out/train_r0.3.json', tmp_path / 'out/dropped.json'
    kept, dropped = sparsify_coco_file(str(src), str(out), 0.3, 0, dropped_file=str(drop))
    assert json.loads(out.read_text()) == kept and json.loads(drop.read_text()) == dropped
    assert kept['info']['sparsify']['source'] == str(src)
    empty = tmp_path / 'empty.json'
    empty.write_text(json.dumps(dict(_coco(), annotations=[])))
    with pytest.raises(ValueError, match=f'{empty}: has no annotations'):
        sparsify_coco_file(str(empty), str(tmp_path / 'x.json'), 0.5)
    with pytest.raises(ValueError, match=f'{src}: the ratio must lie in'):
        sparsify_coco_file(str(src), str(tmp_path / 'x.json'), 1.5)
    bad = tmp_path / 'bad.json'
    bad.write_text(json.dumps(dict(_coco(), images=[])))
    with pytest.raises(CocoFormatError, match=f'{bad}: .*image_id 1 is not the id of any image'):
        sparsify_coco_file(str(bad), str(tmp_path / 'x.json'), 0.5)
    assert not (tmp_path / 'x.json').exists()


def test_refuses_images_with_labelled_regions():
    coco = _coco()
    coco['images'][1]['labeled_regions'] = [[0, 0, 10, 10]]
    with pytest.raises(ValueError, match=r'labeled_regions \(first: image id'):
        sparsify_coco(coco, ratio=0.5, name='x.json')
