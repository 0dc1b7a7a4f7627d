"""Classification-localization balanced NMS (Zhang et al., Sec. 2.3, Eqs. 8-9;
SPEC section 3)."""
from typing import Tuple, Union

import numpy as np
import torch
from mmcv.ops import nms
from torch import Tensor

# IoU blocks of at most this many elements (refs x boxes) at a time.
_BLOCK = 1 << 24


def _overlaps_more_than(a: Tensor, b: Tensor, thr: Tensor, offset: int) -> Tensor:
    """``IoU(a_i, b_j) > thr`` for every box of ``a`` (k, 4) and ``b`` (n, 4)
    (float32, ``thr`` a float32 scalar tensor), computed as mmcv's CPU NMS
    kernel computes it: ``inter / (area_a + area_b - inter) > thr`` in float32
    with the ``offset`` convention. One function decides both the references
    and the clusters, so the two always agree."""
    wh = (torch.min(a[:, None, 2:], b[None, :, 2:]) - torch.max(a[:, None, :2], b[None, :, :2])
          + offset).clamp_(min=0)
    inter = wh[..., 0] * wh[..., 1]
    area_a = (a[:, 2] - a[:, 0] + offset) * (a[:, 3] - a[:, 1] + offset)
    area_b = (b[:, 2] - b[:, 0] + offset) * (b[:, 3] - b[:, 1] + offset)
    return inter / (area_a[:, None] + area_b[None] - inter) > thr


def cl_balanced_nms(boxes: Union[Tensor, np.ndarray], scores: Union[Tensor, np.ndarray],
                    iou_threshold: float, offset: int = 0, score_threshold: float = 0,
                    max_num: int = -1, eps: float = 1e-6) -> Tuple:
    """CL-balanced NMS with the signature and outputs of ``mmcv.ops.nms``.

    Greedy, per call (mmcv's ``batched_nms`` makes it per class):

    1. the highest-scoring remaining box is the reference;
    2. its cluster: the remaining boxes with IoU > ``iou_threshold`` to it;
    3. consensus centre: the softmax(score)-weighted mean of the cluster's
       centres (Eq. 8);
    4. each member's localisation score ``1 - dist(c, consensus) / (dist_max + eps)``
       (closer is better; the paper prints ``p + dis``, which would reward
       distance; SPEC section 3);
    5. the member with the highest ``score + loc_score`` is kept, with its own
       classification score; the cluster is dropped; repeat.

    Steps 1-2 pick exactly the boxes greedy NMS keeps and, as clusters, the
    boxes each of them suppresses: a box belongs to the first reference, in
    score order, that precedes it and overlaps it by more than the threshold.
    The greedy order is the stable descending sort of the scores (ties: the
    lower index first). The IoU test is ``_overlaps_more_than`` (float32, as
    mmcv's CPU kernel); mmcv's NMS kernel gives a first guess of the
    references, which is then corrected until every box is a reference
    exactly when no earlier reference overlaps it (one check when the kernel
    agrees with the test; a kernel that decides a box at the threshold
    differently, e.g. mmcv's CUDA kernel, costs another pass). So every box
    lands in the cluster that the greedy loop with this IoU test gives it,
    never in an unrelated one. Steps 3-5 run for all clusters at once with
    scatter operations on the boxes' device: no Python loop over boxes or
    clusters.

    Use it from a head's test config, like any mmcv NMS type:
    ``nms=dict(type='cl_balanced_nms', iou_threshold=0.5)`` (importing plb_mm
    makes the name known to ``mmcv.ops.batched_nms``).

    Returns:
        tuple: ``dets`` (k, 5) kept boxes with their scores, sorted by score
        (descending), and ``keep`` (k, ) their indices into the input.
    """
    is_numpy = isinstance(boxes, np.ndarray)
    if is_numpy:
        boxes, scores = torch.from_numpy(boxes), torch.from_numpy(scores)
    assert boxes.size(1) == 4 and boxes.size(0) == scores.size(0), \
        f'boxes {tuple(boxes.shape)} and scores {tuple(scores.shape)} do not match'
    valid_inds = None
    if score_threshold > 0:
        valid = scores > score_threshold
        boxes, scores = boxes[valid], scores[valid]
        valid_inds = valid.nonzero(as_tuple=False).squeeze(1)
    n = boxes.size(0)
    if n == 0:
        keep = torch.zeros(0, dtype=torch.long, device=boxes.device)
    else:
        keep = _cl_balanced_keep(boxes, scores, iou_threshold, offset, eps)
        if max_num > 0:
            keep = keep[:max_num]
    dets = torch.cat([boxes[keep], scores[keep].reshape(-1, 1)], dim=1)
    if valid_inds is not None:
        keep = valid_inds[keep]
    if is_numpy:
        return dets.cpu().numpy(), keep.cpu().numpy()
    return dets, keep


def _first_overlapping_ref(b: Tensor, order: Tensor, refs: Tensor, thr: Tensor,
                           offset: int) -> Tensor:
    """For every box of ``b``, the position in ``refs`` (references, in the
    greedy ``order``) of the first reference that precedes the box in that
    order and overlaps it by more than ``thr``; -1 if there is none."""
    n, k = b.size(0), refs.numel()
    first = torch.full((n, ), -1, dtype=torch.long, device=b.device)
    if k == 0:
        return first
    rank = torch.empty_like(order)
    rank[order] = torch.arange(n, device=b.device)
    ref_boxes, ref_rank = b[refs], rank[refs]
    # Boxes in greedy order, in blocks of at most _BLOCK IoUs (and, for many
    # boxes, at least 8 blocks): a block needs only the references ranked
    # before its last box, so the blocks cover about half of refs x boxes.
    step = max(1, min(_BLOCK // k, max(-(-n // 8), 1024)))
    for start in range(0, n, step):
        idx = order[start:start + step]
        m = int(torch.searchsorted(ref_rank, start + len(idx)))  # refs ranked before
        if m == 0:
            continue
        over = _overlaps_more_than(ref_boxes[:m], b[idx], thr, offset)
        over &= ref_rank[:m, None] < rank[idx][None]
        # argmax of a 0/1 column is its first 1 (refs are in greedy order)
        first[idx] = torch.where(over.any(0), over.to(torch.uint8).argmax(0), -1)
    return first


@torch.no_grad()
def _cl_balanced_keep(boxes: Tensor, scores: Tensor, iou_threshold: float, offset: int,
                      eps: float) -> Tensor:
    n = boxes.size(0)
    b = boxes.float()
    s = scores.float()
    thr = b.new_tensor(iou_threshold)
    order = torch.sort(s, descending=True, stable=True)[1]  # the greedy order
    # Greedy references: exactly the boxes that no earlier reference overlaps
    # (the fixed point of this rule is unique: decide the boxes in order). mmcv's
    # kernel is the first guess; each pass fixes at least the next wrong box.
    is_ref = torch.zeros(n, dtype=torch.bool, device=boxes.device)
    is_ref[nms(b, s, iou_threshold, offset=offset)[1]] = True
    while True:
        refs = order[is_ref[order]]
        first = _first_overlapping_ref(b, order, refs, thr, offset)
        if torch.equal(first < 0, is_ref):
            break
        is_ref = first < 0
    k = refs.numel()
    # Cluster of each box: a reference is its own, any other box the first
    # earlier reference overlapping it (the one that suppressed it).
    cluster = first
    cluster[refs] = torch.arange(k, device=boxes.device)
    centers = (b[:, :2] + b[:, 2:]) / 2
    e = torch.exp(s - s.max())  # softmax within each cluster (shift-invariant)
    norm = s.new_zeros(k).index_add_(0, cluster, e)
    consensus = s.new_zeros(k, 2).index_add_(0, cluster, e[:, None] * centers) / norm[:, None]
    dist = (centers - consensus[cluster]).norm(dim=1)
    dist_max = s.new_zeros(k).scatter_reduce_(0, cluster, dist, 'amax', include_self=False)
    select = s + 1 - dist / (dist_max[cluster] + eps)
    best = s.new_full((k, ), -float('inf')).scatter_reduce_(0, cluster, select, 'amax',
                                                          include_self=True)
    # Ties: the higher-scoring member (earlier in score order) wins.
    rank = torch.empty_like(order)
    rank[order] = torch.arange(n, device=boxes.device)
    cand = select >= best[cluster]
    win_rank = torch.full((k, ), n, dtype=torch.long, device=boxes.device).scatter_reduce_(
        0, cluster[cand], rank[cand], 'amin', include_self=True)
    keep = order[win_rank]
    return keep[torch.sort(s[keep], descending=True, stable=True)[1]]


def register_with_mmcv() -> None:
    """Make ``type='cl_balanced_nms'`` usable in any ``nms`` config: mmcv's
    ``batched_nms`` resolves the type name in ``mmcv.ops.nms``'s namespace."""
    import sys

    import mmcv.ops  # noqa: F401 (loads the module mmcv.ops.nms)

    # ``mmcv.ops.nms`` as an attribute is the nms function; the module is here:
    sys.modules['mmcv.ops.nms'].cl_balanced_nms = cl_balanced_nms


register_with_mmcv()
