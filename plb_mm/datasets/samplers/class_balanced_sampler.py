"""Class-balanced batches: an equal share of every class in each batch, the
small classes cycled until the largest has been seen once per epoch.

The benchmark paper (Pianese, Section 3.1.2, "Data balancing") bins the
images by class; each batch takes ``batch_size / num_classes`` images from
every bin, and a bin that runs out starts again ("cyclically ... once a class
has already been entirely seen") until the largest class has been seen once.

mmdet's ``ClassAwareSampler`` (``mmdet/datasets/samplers/class_aware_sampler.py``)
draws classes in rounds too, but is not this sampler (docs/benchmark_kit.md,
"Sampler"): its epoch is ``len(dataset)`` draws, so with imbalanced classes
the largest is only partly seen in an epoch (a random part, new each epoch),
and each rank takes a contiguous chunk of the global order, so on a rank whose
chunk does not start at a round boundary batches lose their equal shares.
"""
import math
from typing import Dict, Iterator, List, Optional, Sized

import numpy as np
from mmengine.dist import get_dist_info, sync_random_seed
from torch.utils.data import Sampler

from mmdet.registry import DATA_SAMPLERS

__all__ = ['ClassBalancedSampler', 'image_groups']

EMPTY_IMAGES = ('drop', 'group')


def _image_labels(dataset: Sized, idx: int) -> List[int]:
    """The labels of image ``idx``'s instances that are training targets
    (``ignore_flag`` 0: not crowd / ignored boxes); ``get_cat_ids`` for
    datasets whose ``data_info`` has no ``instances``."""
    if hasattr(dataset, 'get_data_info'):
        info = dataset.get_data_info(idx)
        if 'instances' in info:
            return [int(inst['bbox_label']) for inst in info['instances']
                    if not inst.get('ignore_flag', 0)]
    if hasattr(dataset, 'get_cat_ids'):
        return [int(c) for c in dataset.get_cat_ids(idx)]
    raise TypeError(f'{type(dataset).__name__}: ClassBalancedSampler needs get_data_info(idx) '
                    f"with 'instances' or get_cat_ids(idx) to know an image's classes")


def image_groups(dataset: Sized, empty_images: str = 'drop') -> Dict[int, np.ndarray]:
    """The images of each class: ``{label: sorted image indices}``, classes
    in label order, classes without images left out.

    An image with several classes is listed under each of them. An image with
    no annotation (none that is a training target) is left out with
    ``empty_images='drop'``; with ``'group'`` it goes to one extra group,
    key ``-1``, balanced like a class.
    """
    if empty_images not in EMPTY_IMAGES:
        raise ValueError(f'empty_images={empty_images!r}: expected one of {EMPTY_IMAGES}')
    groups: Dict[int, List[int]] = {}
    for idx in range(len(dataset)):
        labels = set(_image_labels(dataset, idx))
        if not labels and empty_images == 'group':
            labels = {-1}
        for label in labels:
            groups.setdefault(label, []).append(idx)
    return {k: np.asarray(groups[k], dtype=np.int64) for k in sorted(groups)}


@DATA_SAMPLERS.register_module()
class ClassBalancedSampler(Sampler):
    """Batches with an equal share of every class; small classes repeated
    until the largest class has been seen once per epoch (the benchmark
    paper's balanced batches, Section 3.1.2).

    Let ``C`` be the number of groups (classes with at least one image, see
    :func:`image_groups`; multi-class images are listed under each of their
    classes), ``M`` the size of the largest and ``W`` the world size. An
    epoch is a sequence of *rounds*; a round is one image of every group, the
    groups always in the same order (a random order, new each epoch). Group
    ``c`` gives its images as a stream of random permutations of its images,
    one after another (a small class is cycled: each of its images comes
    ``floor`` or ``ceil`` of ``rounds / n_c`` times); the largest class's
    first ``M`` rounds are one permutation, so every one of its images is
    seen once per epoch.

    - Length: round ``r`` goes to rank ``r % W``; each rank gets
      ``ceil(M / W)`` rounds, ``C * ceil(M / W)`` indices (``C * M`` on one
      process), rounded up to a multiple of ``batch_size`` when it is given
      (the extra indices continue the streams). Every rank has the same
      length; the ranks' shares are disjoint parts of one epoch order.
    - Shares: each rank's order repeats the groups with period ``C``, so any
      ``B`` consecutive indices hold ``floor(B / C)`` or ``ceil(B / C)``
      images of each group: exactly ``B / C`` when ``B`` is a multiple of
      ``C``; otherwise the extra images go to groups in turn, batch after
      batch (``B < C``: each batch holds ``B`` different groups).
    - A share counts images drawn for a group, not boxes: an image drawn for
      one class also brings its boxes of other classes.
    - Order: a function of ``seed`` and the epoch (:meth:`set_epoch`, called
      by mmengine's train loops); the same on every rank.

    Batches keep these shares only if the loader cuts them from the sampler's
    order as it is: use ``batch_sampler=None`` (PyTorch's ``BatchSampler``),
    not mmdet's ``AspectRatioBatchSampler`` (it regroups indices by aspect
    ratio), and ``batch_size`` equal to the dataloader's::

        train_dataloader = dict(
            batch_size=8,
            sampler=dict(type='ClassBalancedSampler', batch_size=8),
            batch_sampler=None)

    Args:
        dataset: the training set; image classes come from its instances'
            ``bbox_label`` (``ignore_flag`` instances left out), or from
            ``get_cat_ids`` when its data infos have no ``instances``.
        batch_size (int, optional): the dataloader's batch size (per rank);
            the length per rank is rounded up to a multiple of it, so no
            batch is partial. None: no rounding.
        seed (int, optional): seed of the order, the same on every rank.
            None: a random seed shared by all ranks.
        empty_images (str): images without annotations: ``'drop'`` (not
            sampled; default) or ``'group'`` (one extra group balanced like a
            class).
    """

    def __init__(self, dataset: Sized, batch_size: Optional[int] = None,
                 seed: Optional[int] = None, empty_images: str = 'drop') -> None:
        if batch_size is not None and (int(batch_size) != batch_size or batch_size < 1):
            raise ValueError(f'batch_size={batch_size!r}: expected a positive integer or None')
        self.rank, self.world_size = get_dist_info()
        self.dataset = dataset
        self.batch_size = batch_size
        self.seed = sync_random_seed() if seed is None else int(seed)
        self.epoch = 0
        self.groups = image_groups(dataset, empty_images)
        if not self.groups:
            raise ValueError(f'{type(dataset).__name__}: no image has an annotation to balance '
                             f"(empty_images='group' samples images without annotations)")
        self.num_groups = len(self.groups)
        self.largest = max(len(v) for v in self.groups.values())
        length = self.num_groups * math.ceil(self.largest / self.world_size)
        if batch_size:
            length = math.ceil(length / batch_size) * batch_size
        self.num_samples = length
        self.rounds_per_rank = math.ceil(length / self.num_groups)

    def _stream(self, rng: np.random.Generator, images: np.ndarray, length: int) -> np.ndarray:
        """``length`` images: random permutations of ``images``, one after another."""
        cycles = math.ceil(length / len(images))
        order = np.argsort(rng.random((cycles, len(images))), axis=1).ravel()[:length]
        return images[order]

    def epoch_order(self) -> np.ndarray:
        """This epoch's rounds, all ranks: ``(rounds, C)`` image indices,
        row ``r`` for rank ``r % world_size``."""
        rng = np.random.default_rng([self.seed % 2**63, self.epoch])
        rounds = self.rounds_per_rank * self.world_size
        groups = list(self.groups.values())
        columns = [self._stream(rng, groups[g], rounds) for g in rng.permutation(len(groups))]
        return np.stack(columns, axis=1)

    def __iter__(self) -> Iterator[int]:
        mine = self.epoch_order()[self.rank::self.world_size].ravel()[:self.num_samples]
        return iter(mine.tolist())

    def __len__(self) -> int:
        """The number of indices of this rank per epoch."""
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """Sets the epoch: the order changes with it (mmengine's loops call it)."""
        self.epoch = epoch
