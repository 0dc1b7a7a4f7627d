"""Per-box loss weights: the one mechanism behind PLB, BDE and the DC loss
(SPEC section 0).

A loss term (RPN cls / RPN reg / RoI cls / RoI reg / dense cls / dense reg)
hands its boxes to a list of *weighters*; each returns one weight per box, the
weights multiply (so PLB and BDE compose), and the head multiplies the product
into the term's per-box ``label_weights`` / ``bbox_weights``. The loss is then
reduced by mmdet as usual with the **unchanged** ``avg_factor``::

    loss_term = sum_i (prod_k w_k(i)) * l_i / avg_factor

Weights carry no gradient, are finite for every input, and a term with no
boxes is left untouched.

Pooling over GPUs: a weighter that pools over "the batch" pools over the boxes
of its own rank, so with the same total batch its weights change with the
number of GPUs. Weighters with a ``'global'`` scope all-reduce the sums they
pool (:func:`sum_over_ranks`) instead; such a weighter is *collective*: every
rank must call it, also with no boxes, or the others wait for ever.
"""
from dataclasses import dataclass
from typing import Callable, List, Optional, Sequence

import torch
from torch import Tensor

from mmengine import dist

from mmdet.registry import TASK_UTILS

LOSS_TERMS = ('cls', 'reg')


@dataclass
class WeightingBoxes:
    """The boxes of one loss term of one batch, pooled over images and levels.

    Attributes:
        pred_boxes (Tensor): (n, 4) the box each entry stands for, x1y1x2y2 in
            input-image pixels: the decoded prediction of an anchor, clipped
            to the image (dense heads), or the RoI (second stage). Detached.
        gt_boxes (Tensor): (n, 4) the ground-truth box the entry was matched
            to (from the sampling results); rows of negatives are undefined
            (zeros).
        is_pos (Tensor): (n, ) bool, entries matched to a ground truth.
        labels (Tensor): (n, ) long, target class (``num_classes`` = background).
        img_inds (Tensor): (n, ) long, image of each entry within the batch.
        loss_fn (callable, optional): returns the (n, ) unreduced, unweighted
            loss of each entry of this term; weighters that need it call
            :meth:`losses` (computed once, detached).
        refined_boxes_fn (callable, optional): returns (n, 4) refined
            predictions of the second stage (RoI decoded with its regression).
    """
    pred_boxes: Tensor
    gt_boxes: Tensor
    is_pos: Tensor
    labels: Tensor
    img_inds: Tensor
    loss_fn: Optional[Callable[[], Tensor]] = None
    refined_boxes_fn: Optional[Callable[[], Tensor]] = None

    def __post_init__(self):
        self._losses = None

    def __len__(self) -> int:
        return self.pred_boxes.size(0)

    def losses(self) -> Tensor:
        if self._losses is None:
            if self.loss_fn is None:
                raise ValueError('this loss term does not provide per-box losses')
            self._losses = self.loss_fn().detach().reshape(len(self), -1).sum(-1)
        return self._losses


class BaseBoxWeighter:
    """A weighter: ``weighter(boxes: WeightingBoxes) -> Tensor (n, )``.

    Subclasses implement :meth:`weights` for a non-empty set; the base class
    handles the empty set, detaching and the shape check. A weighter that
    leaves every negative at 1 sets ``positives_only = True``: heads then hand
    it the term's positives only. A weighter whose :attr:`collective` is true
    all-reduces over the ranks, so its :meth:`weights` is called for the empty
    set too (the rank must join the all-reduce) and must handle it.
    """

    positives_only = False

    @property
    def collective(self) -> bool:
        """Whether :meth:`weights` all-reduces over the ranks (then every rank
        must call it, with or without boxes)."""
        return False

    def __call__(self, boxes: WeightingBoxes) -> Tensor:
        if len(boxes) == 0 and not self.collective:
            return boxes.pred_boxes.new_ones(0)
        with torch.no_grad():
            w = self.weights(boxes).detach().to(boxes.pred_boxes.dtype)
        if w.shape != (len(boxes), ):
            raise RuntimeError(f'{type(self).__name__} returned weights of shape '
                               f'{tuple(w.shape)} for {len(boxes)} boxes')
        return w

    def weights(self, boxes: WeightingBoxes) -> Tensor:
        raise NotImplementedError

    def __repr__(self) -> str:
        args = ', '.join(f'{k}={v!r}' for k, v in vars(self).items() if not k.startswith('_'))
        return f'{type(self).__name__}({args})'


def build_weighters(cfg: Optional[dict]) -> dict:
    """``{'cls': [cfg, ...], 'reg': [...]}`` -> ``{'cls': [weighter, ...], ...}``."""
    cfg = dict(cfg or {})
    unknown = set(cfg) - set(LOSS_TERMS)
    if unknown:
        raise KeyError(f'loss_weighters: unknown loss term(s) {sorted(unknown)}; '
                       f'the terms are {LOSS_TERMS}')
    return {term: [w if callable(w) else TASK_UTILS.build(w) for w in (ws or [])]
            for term, ws in cfg.items() if ws}


def combine_weights(weighters: Sequence[Callable], boxes: WeightingBoxes) -> Tensor:
    """The product of the weights of ``weighters`` (ones for no weighter)."""
    w = boxes.pred_boxes.new_ones(len(boxes))
    for weighter in weighters:
        w = w * weighter(boxes)
    if not torch.isfinite(w).all():
        raise FloatingPointError(f'non-finite box weights from {list(weighters)}')
    return w


def box_areas(boxes: Tensor) -> Tensor:
    """``(x2 - x1) * (y2 - y1)`` with negative sides clamped to 0."""
    wh = (boxes[:, 2:4] - boxes[:, 0:2]).clamp(min=0)
    return wh[:, 0] * wh[:, 1]


def sum_over_ranks(values: Tensor) -> Tensor:
    """``values`` (detached) summed over all ranks with an all-reduce; a copy
    of ``values`` when not distributed. Every rank must call it, in the same
    order, with a tensor of the same shape."""
    out = values.detach().clone()
    dist.all_reduce(out, op='sum')
    return out


def per_image_mean(values: Tensor, img_inds: Tensor) -> Tensor:
    """For each entry, the mean of ``values`` over the entries of its image."""
    n_img = int(img_inds.max()) + 1
    sums = values.new_zeros(n_img).index_add_(0, img_inds, values)
    counts = values.new_zeros(n_img).index_add_(0, img_inds, torch.ones_like(values))
    return (sums / counts.clamp(min=1))[img_inds]


__all__: List[str] = [
    'WeightingBoxes', 'BaseBoxWeighter', 'build_weighters', 'combine_weights',
    'box_areas', 'per_image_mean', 'sum_over_ranks', 'LOSS_TERMS'
]
