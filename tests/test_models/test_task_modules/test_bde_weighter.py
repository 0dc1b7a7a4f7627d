"""BDE energies and weights, hand-worked (Li et al. 2021, Eqs. 5-9; SPEC section 2)."""
import pytest
import torch

from plb_mm.models.task_modules.weighters import (BDEWeighter, WeightingBoxes,
                                                  boxes_density_energy, build_weighters,
                                                  combine_weights)


def _at(centres, side=2.0):
    c = torch.tensor(centres, dtype=torch.float32).reshape(-1, 2)
    return torch.cat([c - side / 2, c + side / 2], 1)


def _boxes(pred, is_pos=None, img_inds=None, refined=None):
    n = len(pred)
    return WeightingBoxes(
        pred_boxes=pred, gt_boxes=torch.zeros(n, 4),
        is_pos=torch.tensor(is_pos if is_pos is not None else [False] * n),
        labels=torch.zeros(n, dtype=torch.long),
        img_inds=torch.tensor(img_inds if img_inds is not None else [0] * n),
        refined_boxes_fn=(lambda: refined) if refined is not None else None)


def test_three_boxes_on_a_line():
    # centres x = 0, 1, 3: D = [[0,1,3],[1,0,2],[3,2,0]], density = [4/3, 1, 5/3], max 3
    e = boxes_density_energy(_at([[0, 0], [1, 0], [3, 0]]), torch.zeros(3, dtype=torch.long))
    torch.testing.assert_close(e, torch.tensor([4 / 9, 1 / 3, 5 / 9]))


def test_two_dimensional_manhattan():
    # centres (0,0), (3,4), (0,4): D01 = 7, D02 = 4, D12 = 3; density = [11, 10, 7] / 3, max 7
    e = boxes_density_energy(_at([[0, 0], [3, 4], [0, 4]]), torch.zeros(3, dtype=torch.long))
    torch.testing.assert_close(e, torch.tensor([11 / 21, 10 / 21, 7 / 21]))


def test_one_box_and_coincident_boxes_get_one():
    assert boxes_density_energy(_at([[5, 5]]), torch.zeros(1, dtype=torch.long)).tolist() == [1.0]
    e = boxes_density_energy(_at([[5, 5]] * 4), torch.zeros(4, dtype=torch.long))
    assert e.tolist() == [1.0] * 4
    # zero-area boxes: only their centres count
    zero = torch.tensor([[0., 0., 0., 0.], [2., 0., 2., 0.]])
    assert boxes_density_energy(zero, torch.zeros(2, dtype=torch.long)).tolist() == [0.5, 0.5]


def test_images_are_kept_apart():
    # image 0: the line above; image 1: two boxes far away (alone they get 1/2 each)
    boxes = _at([[0, 0], [1000, 0], [1, 0], [1010, 0], [3, 0]])
    e = boxes_density_energy(boxes, torch.tensor([0, 1, 0, 1, 0]))
    torch.testing.assert_close(e, torch.tensor([4 / 9, 0.5, 1 / 3, 0.5, 5 / 9]))


def test_matches_the_pairwise_definition():
    torch.manual_seed(0)
    xy = torch.rand(300, 2) * 500
    boxes = torch.cat([xy, xy + torch.rand(300, 2) * 40], 1)
    img = torch.randint(0, 3, (300, ))
    e = boxes_density_energy(boxes, img)
    c = (boxes[:, :2] + boxes[:, 2:]) / 2
    for i in range(3):
        s = img == i
        d = torch.cdist(c[s].double(), c[s].double(), p=1)
        torch.testing.assert_close(e[s], (d.mean(1) / d.max()).float())
    assert (e >= 0).all() and (e <= 1).all()


def test_negatives_only_are_weighted():
    w = BDEWeighter()(_boxes(_at([[0, 0], [1, 0], [3, 0]]), is_pos=[False, True, False]))
    torch.testing.assert_close(w, torch.tensor([4 / 9, 1.0, 5 / 9]))
    # all positives (a regression term): nothing changes
    w = BDEWeighter()(_boxes(_at([[0, 0], [1, 0], [3, 0]]), is_pos=[True] * 3))
    assert w.tolist() == [1.0] * 3


def test_refined_box_set():
    rois = _at([[0, 0], [1, 0], [3, 0]])
    refined = _at([[0, 0], [0, 0], [6, 0]])  # D = [[0,0,6],[0,0,6],[6,6,0]]: density 2, 2, 4
    w = BDEWeighter(box_set='refined')(_boxes(rois, refined=refined))
    torch.testing.assert_close(w, torch.tensor([1 / 3, 1 / 3, 2 / 3]))
    with pytest.raises(ValueError, match="no refined boxes"):
        BDEWeighter(box_set='refined')(_boxes(rois))
    with pytest.raises(ValueError, match='box_set must be one of'):
        BDEWeighter(box_set='gt')


def test_empty_and_composition_with_plb():
    empty = _boxes(torch.zeros(0, 4))
    assert BDEWeighter()(empty).shape == (0, )
    boxes = _boxes(torch.tensor([[0., 0., 2., 2.], [1., 0., 5., 4.], [3., 0., 9., 6.]]))
    ws = build_weighters(dict(cls=[dict(type='PLBWeighter'), dict(type='BDEWeighter')]))['cls']
    torch.testing.assert_close(combine_weights(ws, boxes), ws[0](boxes) * ws[1](boxes))
    assert not torch.allclose(ws[0](boxes), combine_weights(ws, boxes))


def test_negative_scale_control():
    """BDE without the density: one weight for every negative, 1 for positives."""
    from plb_mm.models.task_modules.weighters import NegativeScaleWeighter
    boxes = _boxes(_at([[0, 0], [1, 0], [3, 0]]), is_pos=[False, True, False])
    torch.testing.assert_close(NegativeScaleWeighter(0.25)(boxes), torch.tensor([0.25, 1.0, 0.25]))
    assert NegativeScaleWeighter(0.25)(_boxes(torch.zeros(0, 4))).shape == (0, )
    ws = build_weighters(dict(cls=[dict(type='NegativeScaleWeighter', weight=0.5),
                                   dict(type='BDEWeighter')]))['cls']
    torch.testing.assert_close(combine_weights(ws, boxes), torch.tensor([2 / 9, 1.0, 5 / 18]))
    with pytest.raises(ValueError, match=r'in \[0, 1\]'):
        NegativeScaleWeighter(1.5)
