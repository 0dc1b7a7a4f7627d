"""CL-balanced NMS on hand-built clusters (SPEC section 3)."""
import importlib
import math

import numpy as np
import pytest
import torch
from mmcv.ops import batched_nms, nms

from plb_mm.models import cl_balanced_nms

# (the package exports the function under the module's name)
clnms = importlib.import_module('plb_mm.models.layers.cl_balanced_nms')

# One cluster of three (IoU with the top box: 0.82, 0.67) and a lone box.
BOXES = torch.tensor([[0., 0., 10., 10.], [1., 0., 11., 10.], [2., 0., 12., 10.],
                      [50., 50., 60., 60.]])
SCORES = torch.tensor([0.9, 0.85, 0.8, 0.7])


def test_consensus_picks_a_box_that_is_not_the_top_scoring_one():
    # centres x = 5, 6, 7; consensus = softmax(score)-weighted mean
    e = [math.exp(s) for s in (0.9, 0.85, 0.8)]
    cx = (5 * e[0] + 6 * e[1] + 7 * e[2]) / sum(e)              # 5.967
    d = [abs(x - cx) for x in (5, 6, 7)]                          # 0.967, 0.033, 1.033
    select = [s + 1 - di / max(d) for s, di in zip((0.9, 0.85, 0.8), d)]
    assert max(range(3), key=select.__getitem__) == 1            # by hand: box 1
    dets, keep = cl_balanced_nms(BOXES, SCORES, 0.5)
    assert keep.tolist() == [1, 3]
    torch.testing.assert_close(dets, torch.tensor([[1., 0., 11., 10., 0.85],
                                                   [50., 50., 60., 60., 0.7]]))
    # standard NMS keeps the top-scoring box of the cluster
    assert nms(BOXES, SCORES, 0.5)[1].tolist() == [0, 3]


def test_non_overlapping_boxes_are_all_kept_with_their_scores():
    boxes = torch.tensor([[0., 0., 10., 10.], [20., 0., 30., 10.], [40., 0., 50., 10.]])
    scores = torch.tensor([0.3, 0.9, 0.5])
    dets, keep = cl_balanced_nms(boxes, scores, 0.5)
    ref_dets, ref_keep = nms(boxes, scores, 0.5)
    assert torch.equal(keep, ref_keep) and torch.equal(dets, ref_dets)
    assert keep.tolist() == [1, 2, 0]


def test_empty_input():
    dets, keep = cl_balanced_nms(torch.zeros(0, 4), torch.zeros(0), 0.5)
    ref_dets, ref_keep = nms(torch.zeros(0, 4), torch.zeros(0), 0.5)
    assert dets.shape == ref_dets.shape == (0, 5) and keep.shape == ref_keep.shape == (0, )
    assert keep.dtype == ref_keep.dtype == torch.long


def test_output_format_is_mmcv_nms_format():
    torch.manual_seed(0)
    xy = torch.rand(200, 2) * 100
    boxes = torch.cat([xy, xy + torch.rand(200, 2) * 30 + 2], 1)
    scores = torch.rand(200)
    dets, keep = cl_balanced_nms(boxes, scores, 0.5)
    ref_dets, ref_keep = nms(boxes, scores, 0.5)
    assert dets.dtype == ref_dets.dtype and keep.dtype == ref_keep.dtype
    assert dets.shape[1] == 5 and len(keep) == len(ref_keep)       # one box per cluster
    assert torch.equal(dets[:, 4], scores[keep]) and torch.equal(dets[:, :4], boxes[keep])
    assert (dets[1:, 4] <= dets[:-1, 4]).all()                      # sorted by score
    # numpy in, numpy out; score_threshold and max_num as in mmcv
    nd, nk = cl_balanced_nms(boxes.numpy(), scores.numpy(), 0.5, score_threshold=0.3, max_num=5)
    assert isinstance(nd, np.ndarray) and isinstance(nk, np.ndarray) and len(nk) == 5
    assert (scores.numpy()[nk] > 0.3).all()
    torch.testing.assert_close(torch.from_numpy(nd), cl_balanced_nms(
        boxes, scores, 0.5, score_threshold=0.3, max_num=5)[0])


def test_per_class_independence_through_batched_nms():
    boxes = torch.cat([BOXES[:3], BOXES[:3]])
    scores = torch.tensor([0.9, 0.85, 0.8, 0.5, 0.6, 0.7])
    idxs = torch.tensor([0, 0, 0, 1, 1, 1])
    dets, keep = batched_nms(boxes, scores, idxs, dict(type='cl_balanced_nms', iou_threshold=0.5))
    # class 0: box 1 (as above); class 1 (scores rising to the right): consensus
    # near x = 6.03 -> box 4 (x = 6), not the top-scoring box 5
    assert sorted(keep.tolist()) == [1, 4]
    alone0 = cl_balanced_nms(boxes[:3], scores[:3], 0.5)[1]
    alone1 = cl_balanced_nms(boxes[3:], scores[3:], 0.5)[1] + 3
    assert sorted(keep.tolist()) == sorted(alone0.tolist() + alone1.tolist())


def test_blocked_iou_equals_one_block(monkeypatch):
    torch.manual_seed(1)
    xy = torch.rand(500, 2) * 200
    boxes = torch.cat([xy, xy + torch.rand(500, 2) * 40 + 2], 1)
    scores = torch.rand(500)
    full = cl_balanced_nms(boxes, scores, 0.5)[1]
    monkeypatch.setattr(clnms, '_BLOCK', 64)
    assert torch.equal(cl_balanced_nms(boxes, scores, 0.5)[1], full)


@pytest.mark.parametrize('thr', [0.3, 0.7])
def test_every_cluster_keeps_exactly_one_member(thr):
    torch.manual_seed(2)
    xy = torch.rand(300, 2) * 100
    boxes = torch.cat([xy, xy + 20], 1)
    scores = torch.rand(300)
    keep = cl_balanced_nms(boxes, scores, thr)[1]
    refs = nms(boxes, scores, thr)[1]
    assert len(keep) == len(refs) and len(set(keep.tolist())) == len(keep)
