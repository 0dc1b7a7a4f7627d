"""plb_mm.utils.loss_share: per size band shares of a term's loss and gradient."""

import pytest
import torch

from plb_mm.models.task_modules.weighters import WeightingBoxes
from plb_mm.utils.loss_share import (GroupProbeWeighter, area_factors_of, entry_groups,
                                     format_loss_share, loss_share)

from ..conftest import REPO, tiny_config

PLB1C = REPO / 'configs/plb/faster-rcnn_r18_fpn_tiny_plb1c_12e_synthetic-cells.py'
SMALL = '''train_dataloader = dict(dataset=dict(pipeline=[
    dict(type='LoadImageFromFile'), dict(type='LoadAnnotations', with_bbox=True),
    dict(type='Resize', scale=(192, 192), keep_ratio=False), dict(type='PackDetInputs')]))'''


def _boxes():
    # positives matched to GTs of side 20 (small), 50 (medium), 100 (large); one negative
    gt = torch.tensor([[0, 0, 20, 20], [0, 0, 50, 50], [0, 0, 100, 100], [0, 0, 0, 0]],
                      dtype=torch.float)
    return WeightingBoxes(pred_boxes=gt.clone(), gt_boxes=gt,
                          is_pos=torch.tensor([True, True, True, False]),
                          labels=torch.tensor([0, 1, 2, 3]), img_inds=torch.tensor([0, 0, 1, 1]))


def test_entry_groups_by_band_in_the_evaluation_frame():
    b = _boxes()
    assert entry_groups(b, torch.tensor([1.0, 1.0])) == ['small', 'medium', 'large', 'negative']
    # image 0 evaluated at twice the input size: areas x4, 20^2 -> 40^2 (medium), 50^2 -> 100^2
    assert entry_groups(b, torch.tensor([4.0, 1.0])) == ['medium', 'large', 'large', 'negative']


def test_probe_doubles_its_group_only():
    b = _boxes()
    assert GroupProbeWeighter('medium', torch.ones(2))(b).tolist() == [1, 2, 1, 1]
    assert GroupProbeWeighter('negative', torch.ones(2))(b).tolist() == [1, 1, 1, 2]
    probe = GroupProbeWeighter(None, torch.ones(2))
    assert probe(b).tolist() == [1, 1, 1, 1]
    assert probe.seen[0]['groups'][0] == 'small'
    empty = WeightingBoxes(torch.zeros(0, 4), torch.zeros(0, 4), torch.zeros(0, dtype=torch.bool),
                           torch.zeros(0, dtype=torch.long), torch.zeros(0, dtype=torch.long))
    assert GroupProbeWeighter('small', torch.ones(1))(empty).shape == (0, )


def test_area_factors():
    class S:
        metainfo = dict(scale_factor=(0.5, 0.5), ori_shape=(480, 640))
    # input -> original: 1 / 0.25 = 4; original 640x480 -> 416x416: 0.65 * 0.8667
    assert area_factors_of([S()]).tolist() == [4.0]
    assert area_factors_of([S()], (416, 416)).item() == pytest.approx(4 * 0.65 * 416 / 480)


def test_shares_on_the_tiny_model(synthetic_root, tmp_path):
    cfg = tiny_config(tmp_path / 'plb1c.py', synthetic_root, base=PLB1C, extra=SMALL)
    stats = loss_share(cfg, None, num_batches=1, batch_size=2,
                       add_weighters={'roi_head.bbox_head.reg': [dict(type='PLBWeighter')]})
    terms = stats['terms']
    assert set(terms) == {'RPN cls (1C)', 'RPN reg (1B)', 'RoI cls (2C)', 'RoI reg (2B)'}
    assert terms['RPN cls (1C)']['weighted_by'] == 'PLBWeighter'
    assert terms['RoI cls (2C)']['weighted_by'] == '-'
    for name, term in terms.items():
        groups = [g for g in term['groups'].values() if g['n']]
        assert groups, name
        for key in ('loss_none', 'loss_w', 'grad_none', 'grad_w', 'grad_bb_none', 'grad_bb_w'):
            # the groups partition the entries and the loss is linear in the weights
            assert sum(g[key] for g in groups) == pytest.approx(1.0, abs=2e-3), (name, key)
        if term['weighted_by'] == '-':  # unweighted term: both sides are the same
            for g in groups:
                assert g['loss_w'] == pytest.approx(g['loss_none'], abs=1e-6)
                assert g['grad_w'] == pytest.approx(g['grad_none'], abs=1e-4)
                assert g['mean_w'] == 1
    # PLB on the RoI regression: the positives' weights average to ~1, never above 2
    reg = terms['RoI reg (2B)']['groups']
    assert all(0 < g['mean_w'] < 2 for g in reg.values() if g['n'])
    assert 'negative' not in [k for k, g in reg.items() if g['n']]
    table = format_loss_share(stats)
    assert '| RPN cls (1C) | PLBWeighter |' in table and 'nan' not in table


def test_unknown_term_is_an_error(synthetic_root, tmp_path):
    cfg = tiny_config(tmp_path / 'plb1c.py', synthetic_root, base=PLB1C)
    with pytest.raises(ValueError, match='bbox_head.cls: not a weightable term'):
        loss_share(cfg, None, num_batches=1, batch_size=2,
                   add_weighters={'bbox_head.cls': [dict(type='PLBWeighter')]})
