"""Every PLB config puts its weighters where its name says, and trains a few
iterations on the synthetic cells and predicts, once per distinct training
setup (the generic config test leaves this folder to this one)."""
import math

import pytest
from mmengine.config import Config

from ..conftest import REPO, group_by_training_setup, group_id, predict_once, train_few_iters

PLB_CONFIGS = sorted((REPO / 'configs/plb').glob('*.py'))
PLB_GROUPS = group_by_training_setup(PLB_CONFIGS)
POSITIONS = {
    'plb1c': ('rpn_head', 'cls'), 'plb1b': ('rpn_head', 'reg'),
    'plb2c': ('bbox_head', 'cls'), 'plb2b': ('bbox_head', 'reg'),
}


def _weighters(cfg):
    return {('rpn_head', t): ws for t, ws in cfg.model.rpn_head.loss_weighters.items()} | \
        {('bbox_head', t): ws for t, ws in cfg.model.roi_head.bbox_head.loss_weighters.items()}


def test_ablation_grid_is_complete():
    names = {p.name for p in PLB_CONFIGS}
    for data in ('15e_bccd', '10e_voc07', '15e_synthetic-cells'):
        for row in ('', 'plb1c_', 'plb1b_', 'plb2c_', 'plb2b_', 'plb1c-plb2c_', 'plb1c-plb1b_',
                    'plb2c-gt_'):
            assert f'faster-rcnn_r50_fpn_{row}{data}.py' in names
    for data in ('12e_synthetic-cells', '12e_bccd'):  # the CPU model
        for row in ('', 'plb1c_', 'plb1b_', 'plb1c-plb1b_', 'plb2c_', 'plb2b_'):
            assert f'faster-rcnn_r18_fpn_tiny_{row}{data}.py' in names
    assert len([n for n in names if 'r18_fpn_tiny' in n]) == 14
    assert len(PLB_CONFIGS) == 38


@pytest.mark.parametrize('path', PLB_CONFIGS, ids=lambda p: p.stem)
def test_plb_config_places_weighters(path):
    cfg = Config.fromfile(str(path))
    variant = next((t for t in path.stem.split('_') if t.startswith('plb')), '')
    expected = {}
    for part in variant.split('-'):
        if part in POSITIONS:
            source = 'gt' if variant.endswith('-gt') and part == 'plb2c' else 'pred'
            expected[POSITIONS[part]] = source
    got = {pos: ws for pos, ws in _weighters(cfg).items() if ws}
    assert set(got) == set(expected), path.name
    for pos, ws in got.items():
        assert [w['type'] for w in ws] == ['PLBWeighter']
        assert ws[0].get('box_source', 'pred') == expected[pos]
    assert cfg.model.rpn_head.loss_bbox == dict(type='SmoothL1Loss', beta=1.0 / 9.0, loss_weight=1.0)


def test_each_row_is_one_setup_across_data_sets():
    """The grouping below trains each method row once: the R50 rows on BCCD,
    VOC07 and the synthetic smears, and the CPU rows on BCCD and the smears,
    are the same model and optimizer once rewired to the tiny set."""
    assert len(PLB_GROUPS) == 16
    assert sorted(len(g) for g in PLB_GROUPS) == [1] * 2 + [2] * 6 + [3] * 8
    for group in PLB_GROUPS:  # only the data set and schedule differ within a group
        assert len({p.stem.rsplit('_', 2)[0] for p in group}) == 1, group


@pytest.mark.parametrize('group', PLB_GROUPS, ids=group_id)
def test_plb_config_trains_and_predicts(group, synthetic_root, tmp_path):
    losses, runner = train_few_iters(group[0], synthetic_root, tmp_path, iters=2)
    assert set(losses) >= {'loss', 'loss_rpn_cls', 'loss_rpn_bbox', 'loss_cls', 'loss_bbox'}
    assert all(math.isfinite(v) for v in losses.values())
    assert any(len(r.pred_instances.scores) > 0 for r in predict_once(runner))
