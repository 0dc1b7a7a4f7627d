"""IoU-classification-aware assignment on hand-built cases (SPEC section 3)."""
import pytest
import torch
from mmengine.structures import InstanceData

from mmdet.models.task_modules.assigners import MaxIoUAssigner
from plb_mm.models import IoUClsAwareAssigner

GT = InstanceData(bboxes=torch.tensor([[0., 0., 10., 10.]]), labels=torch.tensor([1]))
# a0: the GT itself (IoU 1); a1: contains the GT (IoU 0.25, inter/min-area 1);
# a2: IoU 100/220 = 0.45 (ignore band); a3: far away (IoU 0).
PRIORS = torch.tensor([[0., 0., 10., 10.], [0., 0., 20., 20.], [0., 0., 10., 22.],
                       [50., 50., 60., 60.]])


def _scores(p_cls1):
    """Class-1 probabilities per prior (class 0 gets 0.9 everywhere: it must
    not count, the GT is class 1)."""
    s = torch.full((4, 3), 0.0)
    s[:, 0] = 0.9
    s[:, 1] = torch.tensor(p_cls1)
    return s


def _assign(scores=None, **kw):
    pred = InstanceData(priors=PRIORS)
    if scores is not None:
        pred.scores = scores
    return IoUClsAwareAssigner(**kw).assign(pred, GT)


def test_contained_anchor_with_high_probability_becomes_positive():
    # a1: s = 0.75 * 0.9 + 0.25 * 1 = 0.925 >= 0.5; a3: s = 0.75 * 0.99 but no overlap
    res = _assign(_scores([0.5, 0.9, 0.1, 0.99]))
    assert res.gt_inds.tolist() == [1, 1, -1, 0]
    assert res.labels.tolist() == [1, 1, -1, -1]


def test_low_probability_stays_negative_and_ignore_band_stays_ignored():
    # a1: s = 0.75 * 0.3 + 0.25 = 0.475 < 0.5 -> negative (IoU 0.25 < 0.4);
    # a2: s = 0.75 * 0.1 + 0.25 * 1 = 0.325 -> stays ignored (0.4 <= IoU < 0.5)
    res = _assign(_scores([0.5, 0.3, 0.1, 0.0]))
    assert res.gt_inds.tolist() == [1, 0, -1, 0]
    # a2 with a high probability is recovered from the ignore band
    res = _assign(_scores([0.5, 0.3, 0.8, 0.0]))
    assert res.gt_inds.tolist() == [1, 0, 1, 0]


def test_alpha_and_threshold():
    # alpha 0: s is the containment alone -> a1 and a2 (both contain the GT)
    assert _assign(_scores([0, 0, 0, 0]), alpha=0.0).gt_inds.tolist() == [1, 1, 1, 0]
    assert _assign(_scores([0.5, 0.9, 0.1, 0.99]), score_thr=0.95).gt_inds.tolist() == [1, 0, -1, 0]
    with pytest.raises(ValueError, match='alpha'):
        IoUClsAwareAssigner(alpha=1.5)


def test_min_iou_floor():
    # a1 (IoU 0.25) is promoted by its score only while the floor is below 0.25;
    # a2 (IoU 0.45) stays promotable; a0 (IoU 1) is positive by IoU regardless
    scores = _scores([0.5, 0.9, 0.8, 0.99])
    assert _assign(scores).gt_inds.tolist() == [1, 1, 1, 0]
    assert _assign(scores, min_iou=0.25).gt_inds.tolist() == [1, 1, 1, 0]
    assert _assign(scores, min_iou=0.3).gt_inds.tolist() == [1, 0, 1, 0]
    assert _assign(scores, min_iou=0.5).gt_inds.tolist() == [1, 0, -1, 0]


def test_without_scores_it_is_max_iou_assigner():
    torch.manual_seed(0)
    xy = torch.rand(300, 2) * 100
    priors = torch.cat([xy, xy + torch.rand(300, 2) * 40 + 1], 1)
    gxy = torch.rand(6, 2) * 100
    gt = InstanceData(bboxes=torch.cat([gxy, gxy + torch.rand(6, 2) * 40 + 1], 1),
                      labels=torch.randint(0, 5, (6, )))
    ours = IoUClsAwareAssigner(pos_iou_thr=0.5, neg_iou_thr=0.4, min_pos_iou=0.).assign(
        InstanceData(priors=priors), gt)
    ref = MaxIoUAssigner(pos_iou_thr=0.5, neg_iou_thr=0.4, min_pos_iou=0.).assign(
        InstanceData(priors=priors), gt)
    for k in ('gt_inds', 'max_overlaps', 'labels'):
        assert torch.equal(getattr(ours, k), getattr(ref, k))
    assert ours.num_gts == ref.num_gts


def test_empty_gt_and_empty_priors():
    empty_gt = InstanceData(bboxes=torch.zeros(0, 4), labels=torch.zeros(0, dtype=torch.long))
    res = IoUClsAwareAssigner().assign(InstanceData(priors=PRIORS, scores=_scores([1, 1, 1, 1])),
                                       empty_gt)
    assert res.gt_inds.tolist() == [0, 0, 0, 0] and res.num_gts == 0
    res = IoUClsAwareAssigner().assign(
        InstanceData(priors=torch.zeros(0, 4), scores=torch.zeros(0, 3)), GT)
    assert res.gt_inds.shape == (0, )


def test_ignore_iof_columns_stay_ignored():
    ignore = InstanceData(bboxes=torch.tensor([[0., 0., 20., 20.]]))
    res = IoUClsAwareAssigner(ignore_iof_thr=0.5).assign(
        InstanceData(priors=PRIORS, scores=_scores([0.9, 0.9, 0.9, 0.0])), GT, ignore)
    ref = MaxIoUAssigner(0.5, 0.4, min_pos_iou=0., ignore_iof_thr=0.5).assign(
        InstanceData(priors=PRIORS), GT, ignore)
    # a0-a2 lie inside the ignore region (overlap -1): ignored, none recovered by
    # its score; a3 is MaxIoUAssigner's low-quality match of the GT (IoU 0 >= 0).
    assert res.gt_inds.tolist() == ref.gt_inds.tolist() == [-1, -1, -1, 1]


def test_score_of_the_max_iou_gt_counts_not_the_confident_class():
    """GT A [0,0,10,10] (class 0) and GT B [8,0,28,10] (class 1); prior
    p = [4,2,14,12] has IoU 48/152 = 0.316 with A and 48/252 = 0.190 with B,
    so A is its corresponding GT; it covers 48/100 = 0.48 of either. Priors
    0 and 1 are A and B themselves (their low-quality matches)."""
    gt = InstanceData(bboxes=torch.tensor([[0., 0., 10., 10.], [8., 0., 28., 10.]]),
                      labels=torch.tensor([0, 1]))
    p = [4., 2., 14., 12.]
    priors = torch.tensor([[0., 0., 10., 10.], [8., 0., 28., 10.], p, p])
    # prior 2 is sure of class 1 (B's): s = 0.75 * 0.1 + 0.25 * 0.48 = 0.195
    # for A -> negative (with B's class it would be 0.8625 and positive for B);
    # prior 3 is sure of class 0 (A's): s = 0.75 * 0.99 + 0.12 = 0.8625 -> A
    scores = torch.tensor([[0.5, 0.5], [0.5, 0.5], [0.1, 0.99], [0.99, 0.1]])
    res = IoUClsAwareAssigner().assign(InstanceData(priors=priors, scores=scores), gt)
    assert res.gt_inds.tolist() == [1, 2, 0, 1]
    assert res.labels.tolist() == [0, 1, -1, 0]


def test_assigner_keeps_no_state():
    assigner = IoUClsAwareAssigner()
    before = dict(vars(assigner))
    res = assigner.assign(InstanceData(priors=PRIORS, scores=_scores([0.5, 0.9, 0.1, 0.99])), GT)
    assert vars(assigner) == before
    # assign_wrt_overlaps is MaxIoU's own rule, with nothing left from the call
    overlaps = torch.tensor([[1.0, 0.25, 0.45, 0.0]])
    ref = MaxIoUAssigner(0.5, 0.4, min_pos_iou=0.).assign_wrt_overlaps(overlaps, GT.labels)
    assert assigner.assign_wrt_overlaps(overlaps, GT.labels).gt_inds.tolist() \
        == ref.gt_inds.tolist() == [1, 0, -1, 0] != res.gt_inds.tolist()
