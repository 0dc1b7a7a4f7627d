"""PLB weights, hand-worked (Hu et al. 2022, Eqs. 2-4; SPEC section 1)."""
import pytest
import torch

from plb_mm.models.task_modules.weighters import (PLBWeighter, WeightingBoxes, build_weighters,
                                                  combine_weights)


def _boxes(pred, gt=None, is_pos=None, img_inds=None):
    pred = torch.tensor(pred, dtype=torch.float32).reshape(-1, 4)
    n = len(pred)
    return WeightingBoxes(
        pred_boxes=pred,
        gt_boxes=torch.tensor(gt, dtype=torch.float32).reshape(-1, 4) if gt is not None else torch.zeros(n, 4),
        is_pos=torch.tensor(is_pos if is_pos is not None else [False] * n),
        labels=torch.zeros(n, dtype=torch.long),
        img_inds=torch.tensor(img_inds if img_inds is not None else [0] * n))


def test_hand_worked_with_the_plus_one_guard():
    # areas 0, 99, 299 -> a = 1, 100, 300; m = 401/3; w = 2m/(m+a) = 802/(401+3a)
    w = PLBWeighter()(_boxes([[5, 5, 5, 10], [0, 0, 9, 11], [0, 0, 13, 23]]))
    torch.testing.assert_close(w, torch.tensor([802 / 404, 802 / 701, 802 / 1301]))
    assert w[0] > w[1] > w[2]  # small boxes weigh more


def test_single_box_and_mean_area_box_get_one():
    assert PLBWeighter()(_boxes([[0, 0, 40, 50]])).tolist() == [1.0]
    # a = 10, 20, 30: m = 20, so the middle box gets 1
    w = PLBWeighter()(_boxes([[0, 0, 3, 3], [0, 0, 1, 19], [0, 0, 29, 1]]))
    torch.testing.assert_close(w, torch.tensor([40 / 30, 1.0, 40 / 50]))


def test_bounds():
    torch.manual_seed(0)
    xy = torch.rand(50, 2) * 100
    b = torch.cat([xy, xy + torch.rand(50, 2) * 200], 1)
    w = PLBWeighter()(_boxes(b.tolist()))
    n = 50
    assert (w > 2 / (n + 1)).all() and (w < 2).all()
    # One huge box among zero-area ones approaches the lower bound 2/(n+1).
    big = [[0, 0, 1e4, 1e4]] + [[1, 1, 1, 1]] * (n - 1)
    w = PLBWeighter()(_boxes(big))
    assert 2 / (n + 1) < w[0] < 2 / (n + 1) * 1.01
    torch.testing.assert_close(w[1:], torch.full((n - 1, ), w[1].item()))
    assert w[1] < 2


def test_zero_area_boxes_are_finite():
    w = PLBWeighter()(_boxes([[3, 3, 3, 3]] * 4))
    assert w.tolist() == [1.0] * 4
    # an inverted (x2 < x1) box counts as zero area
    w = PLBWeighter()(_boxes([[5, 5, 2, 2], [1, 1, 1, 1]]))
    assert torch.isfinite(w).all() and w[0] == w[1] == 1.0


def test_empty_set():
    w = PLBWeighter()(_boxes([]))
    assert w.shape == (0, )
    assert combine_weights([PLBWeighter()], _boxes([])).shape == (0, )


def test_no_gradient_through_weights():
    boxes = _boxes([[0, 0, 4, 4], [0, 0, 10, 10]])
    boxes.pred_boxes.requires_grad_(True)
    w = PLBWeighter()(boxes)
    assert not w.requires_grad and w.grad_fn is None


def test_gt_source_uses_matched_gt_for_positives_only():
    pred = [[0, 0, 9, 9], [0, 0, 9, 9], [0, 0, 19, 19]]      # areas 81, 81, 361
    gt = [[0, 0, 1, 1], [0, 0, 99, 99], [0, 0, 0, 0]]        # third is a negative
    b = _boxes(pred, gt, is_pos=[True, False, False])
    # 'gt': a = 2 (gt of the positive), 82, 362 -> m = 446/3, w = 892/(446+3a)
    torch.testing.assert_close(PLBWeighter(box_source='gt')(b),
                               torch.tensor([892 / 452, 892 / 692, 892 / 1532]))
    # 'pred': a = 82, 82, 362 -> m = 526/3, w = 1052/(526+3a)
    torch.testing.assert_close(PLBWeighter(box_source='pred')(b),
                               torch.tensor([1052 / 772, 1052 / 772, 1052 / 1612]))


def test_image_scope_uses_each_images_mean():
    # image 0: a = 10, 30 (m = 20); image 1: a = 100 alone (w = 1)
    b = _boxes([[0, 0, 3, 3], [0, 0, 29, 1], [0, 0, 9, 11]], img_inds=[0, 0, 1])
    torch.testing.assert_close(PLBWeighter(mean_scope='image')(b), torch.tensor([40 / 30, 40 / 50, 1.0]))
    # batch scope: m = 140/3, w = 280/(140+3a)
    torch.testing.assert_close(PLBWeighter()(b), torch.tensor([280 / 170, 280 / 230, 280 / 440]))


def test_weighters_compose_by_product_and_options_are_checked():
    b = _boxes([[0, 0, 3, 3], [0, 0, 29, 1]])
    w = combine_weights([PLBWeighter(), PLBWeighter()], b)
    torch.testing.assert_close(w, PLBWeighter()(b) ** 2)
    built = build_weighters(dict(cls=[dict(type='PLBWeighter', box_source='gt')], reg=[]))
    assert list(built) == ['cls'] and built['cls'][0].box_source == 'gt'
    with pytest.raises(KeyError, match='unknown loss term'):
        build_weighters(dict(clss=[dict(type='PLBWeighter')]))
    with pytest.raises(ValueError, match="box_source must be 'pred' or 'gt'"):
        PLBWeighter(box_source='predicted')
    with pytest.raises(ValueError, match="mean_scope must be"):
        PLBWeighter(mean_scope='level')
    assert PLBWeighter(mean_scope='global').collective and not PLBWeighter().collective
