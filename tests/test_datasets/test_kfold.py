"""k-fold splits by image: disjoint test folds that cover every image, train
the complement, annotations with their image, groups kept whole, seeded."""
import json

import pytest

from plb_mm.datasets.kfold import kfold_assign, kfold_split, kfold_split_file


def _coco(n=10, patients=None):
    images = [dict(id=i, file_name=f'{i}.png', width=64, height=64) for i in range(1, n + 1)]
    if patients:
        for img, p in zip(images, patients):
            img['patient'] = p
    anns = [dict(id=10 * i + k, image_id=i, category_id=1, bbox=[0, 0, 8, 8], area=64,
                 iscrowd=0) for i in range(1, n + 1) for k in range(i % 3)]
    return dict(info=dict(description='cells'), images=images, annotations=anns,
                categories=[dict(id=1, name='cell')])


def test_folds_disjoint_covering_and_balanced():
    coco = _coco(10)
    tests = kfold_assign(coco['images'], folds=4, seed=0)
    assert sorted(len(t) for t in tests) == [2, 2, 3, 3]
    flat = [i for t in tests for i in t]
    assert sorted(flat) == list(range(1, 11))  # covering, and disjoint (no repeats)
    assert kfold_assign(coco['images'], 4, 0) == tests  # same seed, same folds
    assert kfold_assign(list(reversed(coco['images'])), 4, 0) == tests  # order of the file
    assert kfold_assign(coco['images'], 4, 1) != tests


def test_train_is_the_complement_and_annotations_follow():
    coco = _coco(10)
    splits = kfold_split(coco, folds=4, seed=0, source='all.json')
    assert len(splits) == 4
    all_ids = {i['id'] for i in coco['images']}
    for f, (train, test) in enumerate(splits, 1):
        tr, te = {i['id'] for i in train['images']}, {i['id'] for i in test['images']}
        assert tr | te == all_ids and not tr & te
        for part, ids in ((train, tr), (test, te)):
            assert sorted(a['id'] for a in part['annotations']) == sorted(
                a['id'] for a in coco['annotations'] if a['image_id'] in ids)
            k = part['info']['kfold']
            assert (k['folds'], k['fold'], k['seed'], k['source']) == (4, f, 0, 'all.json')
            assert (k['images'], k['annotations']) == (len(ids), len(part['annotations']))
            assert k['test_image_ids'] == sorted(te)
            assert part['categories'] == coco['categories']
            assert part['info']['description'] == 'cells'
        assert (train['info']['kfold']['part'], test['info']['kfold']['part']) == ('train', 'test')
    assert coco == _coco(10)


def test_groups_stay_in_one_fold():
    patients = ['A', 'A', 'A', 'B', 'B', 'C', 'D', 'D', 'E', 'F']
    coco = _coco(10, patients)
    tests = kfold_assign(coco['images'], folds=3, seed=0, group_by='patient')
    assert sorted(i for t in tests for i in t) == list(range(1, 11))
    fold_of = {i: f for f, t in enumerate(tests) for i in t}
    for p in set(patients):
        assert len({fold_of[i + 1] for i, q in enumerate(patients) if q == p}) == 1
    # largest groups first, each to the emptiest fold: sizes 3+1 / 2+1 / 2+1 in some order
    assert sorted(len(t) for t in tests) == [3, 3, 4]
    with pytest.raises(ValueError, match=r"x.json: image id 1 \('1.png'\) has no field 'slide'"):
        kfold_assign(coco['images'], 3, 0, group_by='slide', name='x.json')
    with pytest.raises(ValueError, match="x.json: 6 groups of 'patient' cannot make 7 folds"):
        kfold_assign(coco['images'], 7, 0, group_by='patient', name='x.json')


@pytest.mark.parametrize('folds, seed, match', [
    (1, 0, 'folds must be an integer >= 2, got 1'),
    (11, 0, '10 images cannot make 11 folds'),
    (3, -1, 'the seed must be an integer >= 0'),
])
def test_bad_arguments(folds, seed, match):
    with pytest.raises(ValueError, match=f'x.json: {match}'):
        kfold_assign(_coco(10)['images'], folds, seed, name='x.json')


def test_files(tmp_path):
    src = tmp_path / 'all.json'
    src.write_text(json.dumps(_coco(9)))
    paths = kfold_split_file(str(src), str(tmp_path / 'folds'), folds=3, seed=0)
    assert [tuple(p.split('/')[-1] for p in pair) for pair in paths] == [
        ('fold1_train.json', 'fold1_test.json'), ('fold2_train.json', 'fold2_test.json'),
        ('fold3_train.json', 'fold3_test.json')]
    tests = [json.loads(open(te).read()) for _, te in paths]
    assert sorted(i['id'] for t in tests for i in t['images']) == list(range(1, 10))
    assert [t['info']['kfold']['images'] for t in tests] == [3, 3, 3]
