"""Cost of an epoch of sampling: ClassBalancedSampler vs mmengine's
DefaultSampler and mmdet's ClassAwareSampler.

    python benchmarks/sampler_cost.py [--images 100000] [--classes 8] [--epochs 3]
        [--batch-size 8]

An in-memory data set of --images images, one box each, of --classes classes
with geometric sizes (class c has a share proportional to 0.7^c: at 100k
images and 8 classes, 32k down to 2.7k images), so the samplers' own work is
timed, not image loading. Per sampler: the time to build it (reading every
image's classes), the median time of one epoch of indices (``set_epoch`` then
``list(sampler)``), the indices per epoch, the share of the largest class seen
in an epoch and the share of balanced --batch-size batches (each class
``floor`` or ``ceil`` of batch / classes times: exactly batch / classes when
it divides). One process, one rank.
"""
import argparse
import statistics
import time

import numpy as np
from mmengine.dataset import DefaultSampler

from mmdet.datasets.samplers import ClassAwareSampler
from plb_mm.datasets import ClassBalancedSampler


class InMemoryDataset:
    """``labels[i]``: the class of image i's one box."""

    def __init__(self, labels, num_classes):
        self.labels = labels
        self.metainfo = dict(classes=tuple(f'c{k}' for k in range(num_classes)))

    def __len__(self):
        return len(self.labels)

    def get_data_info(self, idx):
        return dict(instances=[dict(bbox_label=self.labels[idx], ignore_flag=0)])

    def get_cat_ids(self, idx):
        return [self.labels[idx]]


def make_dataset(num_images, num_classes, seed=0):
    p = 0.7 ** np.arange(num_classes)
    labels = np.random.default_rng(seed).choice(num_classes, num_images, p=p / p.sum())
    return InMemoryDataset(labels.tolist(), num_classes)


def measure(name, build, dataset, epochs, batch_size, num_classes):
    t0 = time.perf_counter()
    sampler = build()
    init = time.perf_counter() - t0
    times = []
    for epoch in range(epochs):
        sampler.set_epoch(epoch)
        t0 = time.perf_counter()
        idx = list(sampler)
        times.append(time.perf_counter() - t0)
    labels = np.asarray(dataset.labels)
    largest = np.bincount(labels).argmax()
    seen = len({i for i in idx if labels[i] == largest}) / (labels == largest).sum()
    lo, hi = batch_size // num_classes, -(-batch_size // num_classes)
    balanced = [np.isin(np.bincount(labels[idx[k:k + batch_size]], minlength=num_classes),
                        (lo, hi)).all()
                for k in range(0, len(idx) - batch_size + 1, batch_size)]
    return (f'| {name} | {init:.3f} | {statistics.median(times):.3f} | {len(idx)} | '
            f'{100 * seen:.1f}% | {100 * np.mean(balanced):.1f}% |')


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--images', type=int, default=100000)
    p.add_argument('--classes', type=int, default=8)
    p.add_argument('--epochs', type=int, default=3)
    p.add_argument('--batch-size', type=int, default=8)
    args = p.parse_args()
    ds = make_dataset(args.images, args.classes)
    sizes = np.bincount(ds.labels, minlength=args.classes)
    print(f'{args.images} images, {args.classes} classes of {sizes.max()} .. {sizes.min()} '
          f'images; batch {args.batch_size}; median of {args.epochs} epochs\n')
    print('| sampler | build s | epoch s | indices / epoch | largest class seen | '
          'balanced batches |')
    print('|---|---|---|---|---|---|')
    samplers = [
        ('DefaultSampler', lambda: DefaultSampler(ds, shuffle=True, seed=0)),
        ('ClassAwareSampler', lambda: ClassAwareSampler(ds, seed=0)),
        ('ClassBalancedSampler', lambda: ClassBalancedSampler(ds, batch_size=args.batch_size,
                                                              seed=0)),
    ]
    for name, build in samplers:
        print(measure(name, build, ds, args.epochs, args.batch_size, args.classes), flush=True)


if __name__ == '__main__':
    main()
