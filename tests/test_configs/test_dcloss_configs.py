"""Every config of configs/dcloss trains a few iterations on the synthetic
cells, and predicts with the NMS it names (CL-balanced NMS included)."""
import importlib
import math

import pytest
from mmengine.config import Config

from ..conftest import REPO, predict_once, train_few_iters

DC_CONFIGS = sorted((REPO / 'configs/dcloss').glob('*.py'))
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


@pytest.mark.parametrize('path', DC_CONFIGS, ids=lambda p: p.stem)
def test_dcloss_config_trains_and_predicts(path, synthetic_root, tmp_path, monkeypatch):
    cfg = Config.fromfile(str(path))
    parts = _parts(path.stem)
    head = cfg.model.bbox_head
    assert ('dc' in parts) == bool(head.get('loss_weighters', {}).get('cls'))
    assert ('iac' in parts) == (cfg.model.train_cfg.assigner.type == 'IoUClsAwareAssigner')
    nms_type = {'clnms': 'cl_balanced_nms', 'softnms': 'soft_nms'}
    expected_nms = next((nms_type[p] for p in parts if p in nms_type), 'nms')
    assert cfg.model.test_cfg.nms.type == expected_nms

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
