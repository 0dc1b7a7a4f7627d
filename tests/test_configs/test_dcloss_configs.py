"""Every config of configs/dcloss has the parts its name says, and trains a few
iterations on the synthetic cells and predicts with the NMS it names
(CL-balanced NMS included), once per distinct training setup."""
import importlib
import math

import pytest
from mmengine.config import Config

from ..conftest import REPO, group_by_training_setup, group_id, predict_once, train_few_iters

DC_CONFIGS = sorted((REPO / 'configs/dcloss').glob('*.py'))
DC_GROUPS = group_by_training_setup(DC_CONFIGS)
clnms = importlib.import_module('plb_mm.models.layers.cl_balanced_nms')


def _parts(stem):
    """'retinanet_r50_fpn_iac-dc_1x_coco' -> {'iac', 'dc'} (baselines: {'fpn'}/{'tiny'})."""
    return set(stem.split('_')[-3].split('-'))


def test_table_rows_exist():
    names = {p.name for p in DC_CONFIGS}
    for data in ('1x_coco', '12k_voc0712', '1x_synthetic-cells'):
        for row in ('', 'iac_', 'iac-dc_', 'iac-dc-clnms_', 'softnms_', 'clnms_'):
            assert f'retinanet_r50_fpn_{row}{data}.py' in names
    for row in ('', 'iac_', 'iac-dc_', 'iac-dc-clnms_', 'softnms_', 'clnms_'):
        assert f'retinanet_r18_fpn_tiny_{row}12e_synthetic-cells.py' in names
    for row in ('', 'iac_', 'iac-dc_', 'iac-dc-clnms_', 'dc_', 'clnms_'):
        assert f'retinanet_r18_fpn_tiny_{row}12e_bccd.py' in names


def _expected_nms(path):
    nms_type = {'clnms': 'cl_balanced_nms', 'softnms': 'soft_nms'}
    return next((nms_type[p] for p in _parts(path.stem) if p in nms_type), 'nms')


@pytest.mark.parametrize('path', DC_CONFIGS, ids=lambda p: p.stem)
def test_dcloss_config_has_its_parts(path):
    cfg = Config.fromfile(str(path))
    parts = _parts(path.stem)
    head = cfg.model.bbox_head
    assert ('dc' in parts) == bool(head.get('loss_weighters', {}).get('cls'))
    assert ('iac' in parts) == (cfg.model.train_cfg.assigner.type == 'IoUClsAwareAssigner')
    assert cfg.model.test_cfg.nms.type == _expected_nms(path)


def test_each_row_is_one_setup_across_data_sets():
    """The training test below runs each row once per distinct setup: COCO
    and VOC share the R50 model (the synthetic one has its own anchors), BCCD
    and the synthetic smears share the CPU model."""
    assert len(DC_GROUPS) == 22
    for group in DC_GROUPS:
        assert len({p.stem.rsplit('_', 2)[0] for p in group}) == 1, group


@pytest.mark.parametrize('group', DC_GROUPS, ids=group_id)
def test_dcloss_config_trains_and_predicts(group, synthetic_root, tmp_path, monkeypatch):
    path = group[0]
    expected_nms = _expected_nms(path)
    losses, runner = train_few_iters(path, synthetic_root, tmp_path, iters=2)
    assert {'loss', 'loss_cls', 'loss_bbox'} <= set(losses)
    assert all(math.isfinite(v) for v in losses.values())

    # predict through the config's test path, counting CL-NMS calls
    calls = []
    orig = clnms.cl_balanced_nms

    def counting(boxes, scores, *a, **kw):
        calls.append(len(boxes))
        return orig(boxes, scores, *a, **kw)

    monkeypatch.setattr(importlib.import_module('mmcv.ops.nms'), 'cl_balanced_nms', counting)
    results = predict_once(runner)
    assert all(len(r.pred_instances.scores) > 0 for r in results)
    if expected_nms == 'cl_balanced_nms':
        assert calls and all(n > 0 for n in calls)
    else:
        assert not calls
