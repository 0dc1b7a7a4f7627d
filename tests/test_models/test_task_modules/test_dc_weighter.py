"""DC loss weights, hand-worked (Zhang et al., Eqs. 2-3; SPEC section 3)."""
import math

import pytest
import torch

from plb_mm.models.task_modules.weighters import DCWeighter, WeightingBoxes, dynamic_coefficient


def _sig(x):
    return 1 / (1 + math.exp(-x))


# A: perfect; B: centre off by 2 px on a 10 px wide GT; C: centre off by 5 px
# on a 10 px GT and aspect 2 vs 1.
PRED = [[0, 0, 10, 20], [2, 0, 12, 20], [0, 0, 20, 10]]
GT = [[0, 0, 10, 20], [0, 0, 10, 20], [0, 0, 10, 10]]
LAMBDA = [1 / 0.5, 1 / _sig(0.04), 1 / (_sig(0.25) + math.tanh(1.0))]


def _boxes(pred, gt, losses, is_pos=None):
    n = len(pred)
    return WeightingBoxes(
        pred_boxes=torch.tensor(pred, dtype=torch.float32).reshape(-1, 4),
        gt_boxes=torch.tensor(gt, dtype=torch.float32).reshape(-1, 4),
        is_pos=torch.tensor(is_pos if is_pos is not None else [True] * n),
        labels=torch.zeros(n, dtype=torch.long), img_inds=torch.zeros(n, dtype=torch.long),
        loss_fn=lambda: torch.tensor(losses, dtype=torch.float32))


def test_lambda_hand_worked():
    lam = dynamic_coefficient(torch.tensor(PRED, dtype=torch.float32),
                              torch.tensor(GT, dtype=torch.float32))
    torch.testing.assert_close(lam, torch.tensor(LAMBDA), rtol=1e-5, atol=1e-5)
    assert lam[0] == lam.max()  # perfect localisation: the largest coefficient, ~2


def test_normalised_weights_keep_the_positives_loss():
    losses = [1.0, 2.0, 3.0]
    w = DCWeighter()(_boxes(PRED, GT, losses))
    scale = 6.0 / sum(l * x for l, x in zip(LAMBDA, losses))
    torch.testing.assert_close(w, torch.tensor([l * scale for l in LAMBDA]), rtol=1e-5, atol=1e-6)
    # sum_i w_i L_i == sum_i L_i
    torch.testing.assert_close((w * torch.tensor(losses)).sum(), torch.tensor(6.0))


def test_negatives_keep_one_and_positives_only():
    w = DCWeighter()(_boxes(PRED + [[5, 5, 6, 6]], GT + [[0, 0, 0, 0]], [1.0, 2.0, 3.0, 9.0],
                            is_pos=[True, True, True, False]))
    assert w[3] == 1.0
    torch.testing.assert_close((w[:3] * torch.tensor([1.0, 2.0, 3.0])).sum(), torch.tensor(6.0))
    assert DCWeighter.positives_only


def test_zero_size_boxes_are_finite():
    w = DCWeighter()(_boxes([[3, 3, 3, 3], [0, 0, 4, 0], [0, 0, 10, 10]],
                            [[0, 0, 0, 0], [0, 0, 4, 4], [0, 0, 10, 10]], [1.0, 1.0, 1.0]))
    assert torch.isfinite(w).all() and (w > 0).all()
    lam = dynamic_coefficient(torch.zeros(2, 4), torch.zeros(2, 4))
    assert torch.isfinite(lam).all()


def test_no_positives_and_zero_losses():
    assert DCWeighter()(_boxes([[0, 0, 1, 1]], [[0, 0, 1, 1]], [1.0], is_pos=[False])).tolist() == [1.0]
    assert DCWeighter()(_boxes(PRED, GT, [0.0, 0.0, 0.0])).tolist() == [1.0, 1.0, 1.0]
    assert DCWeighter()(_boxes([], [], [])).shape == (0, )


def test_no_gradient_through_lambda():
    b = _boxes(PRED, GT, [1.0, 2.0, 3.0])
    b.pred_boxes.requires_grad_(True)
    w = DCWeighter()(b)
    assert not w.requires_grad


def test_norm_scope_is_checked():
    assert DCWeighter().norm_scope == 'batch' and not DCWeighter().collective
    assert DCWeighter(norm_scope='global').collective
    with pytest.raises(ValueError, match="norm_scope must be one of"):
        DCWeighter(norm_scope='image')


def test_with_another_weighter_the_total_is_not_kept():
    """DC keeps sum_i L_i over the positives only when it is alone on the
    term: the weights multiply, and L_i is the unweighted loss."""
    losses = torch.tensor([1.0, 2.0, 3.0])
    b = _boxes(PRED, GT, losses.tolist())
    dc = DCWeighter()(b)
    torch.testing.assert_close((dc * losses).sum(), losses.sum())
    other = torch.tensor([2.0, 1.0, 0.5])            # e.g. PLB's weights
    assert not torch.isclose((other * dc * losses).sum(), (other * losses).sum())
