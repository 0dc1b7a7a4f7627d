"""ClassBalancedSampler on hand-made class lists: per-batch shares, cycling of
small classes, epoch length, two ranks, seeding, images without annotations,
and a config building it through mmengine's dataloader builder."""
import json
import runpy
import sys
from collections import Counter

import numpy as np
import pytest
from mmengine.registry import init_default_scope
from mmengine.runner import Runner

from mmdet.datasets.samplers import class_aware_sampler
from plb_mm.datasets import ClassBalancedSampler, image_groups
from plb_mm.datasets.samplers import class_balanced_sampler

from ...conftest import REPO


class ListDataset:
    """Images given as lists of labels; ``(label, 1)`` is an ignored box."""

    def __init__(self, images, classes=('a', 'b', 'c', 'd')):
        self.images = images
        self.metainfo = dict(classes=classes)

    def __len__(self):
        return len(self.images)

    def get_data_info(self, idx):
        return dict(instances=[
            dict(bbox_label=lab[0], ignore_flag=lab[1]) if isinstance(lab, tuple)
            else dict(bbox_label=lab, ignore_flag=0) for lab in self.images[idx]])

    def get_cat_ids(self, idx):  # mmdet's: every instance, ignored or not
        return [lab[0] if isinstance(lab, tuple) else lab for lab in self.images[idx]]


def single_class(sizes):
    """sizes[c] images holding one box of class c, class after class."""
    return ListDataset([[c] for c, n in enumerate(sizes) for _ in range(n)])


def label_of(ds):
    return lambda i: ds.images[i][0]


def batches(indices, size):
    return [indices[k:k + size] for k in range(0, len(indices), size)]


def ranks(dataset, world_size, monkeypatch, **kwargs):
    out = []
    for rank in range(world_size):
        monkeypatch.setattr(class_balanced_sampler, 'get_dist_info', lambda: (rank, world_size))
        out.append(ClassBalancedSampler(dataset, seed=0, **kwargs))
    return out


def test_equal_share_per_batch_when_batch_is_a_multiple_of_classes():
    # classes of 6, 3 and 2 images; batch 6 = 2 per class
    ds = single_class([6, 3, 2])
    s = ClassBalancedSampler(ds, batch_size=6, seed=0)
    idx = list(s)
    assert len(idx) == 3 * 6 == len(s)          # C x largest, already whole batches
    for batch in batches(idx, 6):
        assert Counter(map(label_of(ds), batch)) == {0: 2, 1: 2, 2: 2}


@pytest.mark.parametrize('batch_size, shares', [(4, {1, 2}), (2, {0, 1}), (5, {1, 2})])
def test_shares_differ_by_at_most_one_otherwise(batch_size, shares):
    ds = single_class([7, 3, 2])
    s = ClassBalancedSampler(ds, batch_size=batch_size, seed=1)
    idx = list(s)
    # 3 x 7 = 21 rounded up to whole batches
    assert len(idx) == -(-21 // batch_size) * batch_size
    for batch in batches(idx, batch_size):
        counts = Counter(map(label_of(ds), batch))
        assert {counts.get(c, 0) for c in range(3)} <= shares
        assert sum(counts.values()) == batch_size


def test_small_class_is_cycled_largest_seen_once():
    # 6 rounds: class 0 (6 images) once each; class 2 (2 images) 3 times each;
    # class 1 (4 images): one full pass (a permutation), then 2 more of a new pass
    ds = single_class([6, 4, 2])
    s = ClassBalancedSampler(ds, seed=3)
    idx = list(s)
    assert len(idx) == 18                       # no batch_size: exactly C x M
    per_class = {c: [i for i in idx if ds.images[i][0] == c] for c in range(3)}
    assert sorted(per_class[0]) == list(range(6))
    assert Counter(per_class[2]) == {10: 3, 11: 3}
    assert sorted(per_class[1][:4]) == [6, 7, 8, 9]
    assert len(set(per_class[1][4:])) == 2
    # each pass over the small class is a permutation: [a, b], [a, b] or [b, a], ...
    assert all(sorted(per_class[2][k:k + 2]) == [10, 11] for k in range(0, 6, 2))


def test_epoch_length_rounded_to_batches_continues_the_streams():
    ds = single_class([7, 1])
    s = ClassBalancedSampler(ds, batch_size=4, seed=0)
    idx = list(s)
    assert len(s) == len(idx) == 16             # 2 x 7 = 14 -> 16
    class0 = [i for i in idx if i < 7]         # in the order drawn
    assert len(class0) == 8 and idx.count(7) == 8
    assert sorted(class0[:7]) == list(range(7))  # the 8th draw starts a new pass


def test_two_ranks_disjoint_shares_same_length(monkeypatch):
    ds = single_class([7, 3, 2])                # 7 rounds over 2 ranks -> 4 rounds each
    r0, r1 = ranks(ds, 2, monkeypatch, batch_size=3)
    a, b = list(r0), list(r1)
    assert len(a) == len(b) == len(r0) == len(r1) == 12
    # the two shares are the rows of one epoch order, alternately
    order = r0.epoch_order()
    assert (order == r1.epoch_order()).all() and order.shape == (8, 3)
    assert a == order[0::2].ravel().tolist() and b == order[1::2].ravel().tolist()
    # the largest class's 7 images: each on exactly one rank in the first 7 rounds
    big = order[:7][np.isin(order[:7], range(7))]
    assert sorted(big.tolist()) == list(range(7))
    on0 = {i for i in order[0:7:2].ravel() if i < 7}
    on1 = {i for i in order[1:7:2].ravel() if i < 7}
    assert on0.isdisjoint(on1) and on0 | on1 == set(range(7))
    for idx in (a, b):                          # every batch on every rank: 1 per class
        for batch in batches(idx, 3):
            assert Counter(map(label_of(ds), batch)) == {0: 1, 1: 1, 2: 1}


def test_mmdet_class_aware_sampler_differs(monkeypatch):
    """Why ours: on the same data mmdet's ClassAwareSampler has an epoch of
    len(dataset) indices (the largest class only partly seen) and, on rank 1
    of 2, batches that miss a class (its chunk starts mid-round)."""
    ds = single_class([13, 4, 2])
    s = class_aware_sampler.ClassAwareSampler(ds, seed=0)
    assert len(s) == 19 and len({i for i in s if i < 13}) < 13
    monkeypatch.setattr(class_aware_sampler, 'get_dist_info', lambda: (1, 2))
    idx = list(class_aware_sampler.ClassAwareSampler(ds, seed=0))
    assert any(len(set(map(label_of(ds), b))) < 3 for b in batches(idx, 3))
    ours = ranks(ds, 2, monkeypatch, batch_size=3)
    assert all(len(set(map(label_of(ds), b))) == 3 for r in ours for b in batches(list(r), 3))
    assert len(ours[0]) == 3 * 7 == 21


def test_order_depends_on_seed_and_epoch_only():
    ds = single_class([9, 4, 2])
    s1, s2 = ClassBalancedSampler(ds, seed=5), ClassBalancedSampler(ds, seed=5)
    first = list(s1)
    assert first == list(s2) == list(s1)        # same seed, same epoch
    s1.set_epoch(1)
    second = list(s1)
    assert second != first                       # re-shuffled
    assert Counter(map(label_of(ds), second)) == Counter(map(label_of(ds), first))
    assert sorted(i for i in second if i < 9) == list(range(9))
    s2.set_epoch(1)
    assert list(s2) == second
    # not seed + epoch (mmdet's samplers seed with seed + epoch)
    s3 = ClassBalancedSampler(ds, seed=6)
    assert list(s3) != second


def test_empty_images_dropped_or_grouped():
    # images 0-3 class 0, 4 class 1, 5-6 no annotation, 7 only an ignored box
    ds = ListDataset([[0], [0], [0], [0], [1], [], [], [(1, 1)]])
    dropped = ClassBalancedSampler(ds, seed=0)
    assert set(dropped) == set(range(5)) and len(dropped) == 2 * 4
    grouped = ClassBalancedSampler(ds, seed=0, batch_size=3, empty_images='group')
    assert image_groups(ds, 'group')[-1].tolist() == [5, 6, 7]
    assert len(grouped) == 3 * 4
    for batch in batches(list(grouped), 3):   # one class-0, one class-1, one empty image
        kinds = sorted('empty' if i >= 5 else f'class{ds.images[i][0]}' for i in batch)
        assert kinds == ['class0', 'class1', 'empty']
    with pytest.raises(ValueError, match='empty_images'):
        ClassBalancedSampler(ds, empty_images='own')
    with pytest.raises(ValueError, match='no image has an annotation'):
        ClassBalancedSampler(ListDataset([[], []]), seed=0)


def test_multi_class_image_is_listed_under_each_class():
    # image 0 holds classes 0 and 2; class 3 has no image (not a group)
    ds = ListDataset([[0, 2, 2], [0], [0], [1], [1]])
    assert {k: v.tolist() for k, v in image_groups(ds).items()} == \
        {0: [0, 1, 2], 1: [3, 4], 2: [0]}
    s = ClassBalancedSampler(ds, seed=0)
    assert len(s) == 3 * 3 and Counter(s)[0] == 1 + 3  # drawn once for class 0, 3x for 2


def test_config_builds_through_the_runner(tmp_path):
    """A config snippet as a user writes it, through Runner.build_dataloader."""
    sizes = {1: 5, 2: 2, 3: 1}                  # category id -> images
    images, anns = [], []
    for cat, n in sizes.items():
        for _ in range(n):
            images.append(dict(id=len(images) + 1, file_name=f'{len(images)}.png', width=64,
                               height=64))
            anns.append(dict(id=len(anns) + 1, image_id=len(images), category_id=cat,
                             bbox=[4, 4, 20, 20], area=400, iscrowd=0))
    cats = [dict(id=k, name=n) for k, n in ((1, 'big'), (2, 'mid'), (3, 'rare'))]
    (tmp_path / 'train.json').write_text(json.dumps(
        dict(images=images, annotations=anns, categories=cats)))
    init_default_scope('mmdet')
    import plb_mm  # noqa: F401  (custom_imports in a config)
    train_dataloader = dict(
        batch_size=3, num_workers=0,
        sampler=dict(type='ClassBalancedSampler', batch_size=3),
        batch_sampler=None,
        dataset=dict(type='CocoDataset', data_root=str(tmp_path), ann_file='train.json',
                     data_prefix=dict(img=''), metainfo=dict(classes=('big', 'mid', 'rare')),
                     filter_cfg=dict(filter_empty_gt=True), pipeline=[]))
    loader = Runner.build_dataloader(train_dataloader, seed=0)
    assert isinstance(loader.sampler, ClassBalancedSampler)
    got = list(loader.batch_sampler)
    assert len(got) == len(loader) == 5        # 3 classes x 5 images / batch 3
    ds = loader.dataset
    for batch in got:
        assert sorted(ds.get_data_info(i)['instances'][0]['bbox_label'] for i in batch) \
            == [0, 1, 2]


def test_sampler_cost_benchmark_runs(monkeypatch, capsys):
    monkeypatch.setattr(sys, 'argv', ['sampler_cost.py', '--images', '300', '--epochs', '1'])
    runpy.run_path(str(REPO / 'benchmarks/sampler_cost.py'), run_name='__main__')
    out = capsys.readouterr().out
    assert '| ClassBalancedSampler |' in out and '| ClassAwareSampler |' in out
    assert 'balanced batches' in out
