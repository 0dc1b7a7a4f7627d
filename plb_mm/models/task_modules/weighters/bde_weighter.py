import torch
from torch import Tensor

from mmdet.registry import TASK_UTILS

from .box_weighter import BaseBoxWeighter, WeightingBoxes

BOX_SETS = ('rois', 'refined')


def _sum_abs_diff(v: Tensor) -> Tensor:
    """For each i, ``sum_j |v_i - v_j|`` in O(n log n) (sorted prefix sums)."""
    n = v.numel()
    s, order = v.sort()
    csum = s.cumsum(0)
    k = torch.arange(1, n + 1, dtype=v.dtype, device=v.device)  # entries <= s_k, itself included
    below = s * k - csum
    above = (csum[-1] - csum) - s * (n - k)
    out = torch.empty_like(v)
    out[order] = below + above
    return out


def boxes_density_energy(boxes: Tensor, img_inds: Tensor) -> Tensor:
    r"""Boxes density energy (Li et al. 2021, Eqs. 5, 6 and 8; SPEC section 2).

    Per image, over its N boxes with centres :math:`(x_i, y_i)`:

    .. math::
        D_{ij} = |x_i - x_j| + |y_i - y_j|, \quad
        density_i = \frac{1}{N} \sum_j D_{ij}, \quad
        energy_i = \frac{density_i}{\max_{kl} D_{kl}}

    (``j`` runs over all N boxes, ``i`` itself included; energy 1 when the
    maximum is 0: one box, or all centres at one point). A box in a dense
    group has a small energy, an isolated one a large energy; energies lie in
    [0, 1].

    Computed exactly without the N x N matrix: the Manhattan distance
    separates into x and y, so :math:`\sum_j D_{ij}` is two sorted prefix
    sums, and the largest Manhattan distance of a point set is the larger
    range of :math:`x + y` and :math:`x - y`. A dense head's 10^5 anchors
    per image cost O(N log N).

    Args:
        boxes (Tensor): (n, 4) x1y1x2y2.
        img_inds (Tensor): (n, ) long, the image of each box.

    Returns:
        Tensor: (n, ) energies.
    """
    c = (boxes[:, :2] + boxes[:, 2:4]).double() / 2
    energy = torch.ones(len(boxes), dtype=torch.float64, device=boxes.device)
    for img in img_inds.unique():
        sel = (img_inds == img).nonzero(as_tuple=True)[0]
        x, y = c[sel, 0], c[sel, 1]
        density = (_sum_abs_diff(x) + _sum_abs_diff(y)) / len(sel)
        u, v = x + y, x - y
        max_d = torch.maximum(u.max() - u.min(), v.max() - v.min())
        if max_d > 0:
            energy[sel] = density / max_d
    return energy.to(boxes.dtype)


@TASK_UTILS.register_module()
class BDEWeighter(BaseBoxWeighter):
    r"""Boxes density energy (BDE) loss calibration for sparse annotations
    (Li et al. 2021, Eqs. 9 and 10; SPEC section 2).

    Unannotated cells are labelled background, so their loss is wrong (the
    paper's deviation loss). Predictions crowd around real cells, so a
    background entry in a dense group of boxes is likely an unannotated cell:
    every entry labelled background gets the weight
    :math:`energy_i` (:func:`boxes_density_energy`, per image over all the
    term's entries of that image, positives included), positives keep 1.

    Put it on the ``cls`` term of the RoI head
    (``roi_head.bbox_head.loss_weighters=dict(cls=[dict(type='BDEWeighter')])``)
    or of any head that offers one. On a ``reg`` term it is allowed and is the
    paper's Eq. 10, but it changes nothing where only positives regress
    (Faster R-CNN's RoI and RPN heads, RetinaNet): the term hands it
    positives only, which keep weight 1.

    Composes with other weighters by product (e.g. PLB2C + BDE on the RoI
    classification term).

    Args:
        box_set (str): the boxes whose centres give the density.
            ``'rois'`` (default, SPEC): the term's boxes as the head hands
            them over (the sampled RoIs in the second stage; the decoded,
            clipped predictions in a dense head); ``'refined'``: the
            second stage's refined predictions (each RoI decoded with its
            regression for its predicted class, the paper's "regression
            boxes"), available in RoI heads only.
    """

    def __init__(self, box_set: str = 'rois'):
        if box_set not in BOX_SETS:
            raise ValueError(f'BDEWeighter: box_set must be one of {BOX_SETS}, got {box_set!r}')
        self.box_set = box_set

    def weights(self, boxes: WeightingBoxes) -> Tensor:
        b = boxes.pred_boxes
        if self.box_set == 'refined':
            if boxes.refined_boxes_fn is None:
                raise ValueError("BDEWeighter(box_set='refined'): this head has no refined "
                                 "boxes (RoI heads only); use box_set='rois'")
            b = boxes.refined_boxes_fn()
        energy = boxes_density_energy(b.detach().float(), boxes.img_inds)
        return torch.where(boxes.is_pos, torch.ones_like(energy), energy)


@TASK_UTILS.register_module()
class NegativeScaleWeighter(BaseBoxWeighter):
    """Every entry labelled background gets one constant weight, positives
    keep 1: BDE without the density (an ablation control, not a paper method).

    BDE lowers the loss of negatives in two ways at once: on average (its
    energies are well below 1 for every negative) and more where RoIs crowd
    (likely unannotated cells). Setting ``weight`` to the mean energy BDE gives
    the negatives (``tools/analysis_tools/bde_energy.py`` prints it) keeps the
    first and removes the second, so a run with it tells how much of BDE's
    effect is the density and how much a lighter background loss.

    Args:
        weight (float): the negatives' weight, in [0, 1].
    """

    def __init__(self, weight: float):
        if not 0 <= weight <= 1:
            raise ValueError(f'NegativeScaleWeighter: weight must lie in [0, 1], got {weight}')
        self.weight = float(weight)

    def weights(self, boxes: WeightingBoxes) -> Tensor:
        w = torch.full((len(boxes), ), self.weight, device=boxes.pred_boxes.device)
        return torch.where(boxes.is_pos, torch.ones_like(w), w)
