"""plb_mm.utils.assign_stats: positives with and without class scores."""
import math

import pytest
import torch

from plb_mm.utils.assign_stats import assign_stats, format_assign_stats
from plb_mm.utils.benchmark import build_for_benchmark

from ..conftest import REPO, tiny_config

IAC = str(REPO / 'configs/dcloss/retinanet_r18_fpn_tiny_iac_12e_synthetic-cells.py')
BASE = str(REPO / 'configs/dcloss/retinanet_r18_fpn_tiny_12e_synthetic-cells.py')


def _checkpoint(tmp_path, prob):
    model, _ = build_for_benchmark(IAC)
    with torch.no_grad():  # every anchor predicts every class with probability `prob`
        model.bbox_head.retina_cls.weight.zero_()
        model.bbox_head.retina_cls.bias.fill_(math.log(prob / (1 - prob)))
    path = tmp_path / f'p{prob}.pth'
    torch.save(dict(state_dict=model.state_dict()), path)
    return str(path)


def test_confident_head_adds_low_iou_positives(synthetic_root, tmp_path):
    stats = assign_stats(IAC, _checkpoint(tmp_path, 0.9), images=2, batch_size=2,
                         data_root=str(synthetic_root))
    assert stats['images'] == 2
    bands = stats['bands'].values()
    assert sum(b['gts'] for b in bands) > 0
    assert all(b['scored'] >= b['base'] for b in bands)
    assert sum(b['scored'] for b in bands) > sum(b['base'] for b in bands)
    added = torch.cat([b['added_iou'] for b in bands])
    # 0.75 * 0.9 >= 0.5: every overlapping anchor below pos_iou_thr becomes positive
    assert len(added) == sum(b['scored'] - b['base'] for b in bands)
    assert (added > 0).all() and (added < 0.5).all()
    assert '| small |' in format_assign_stats(stats)


def test_unsure_head_assigns_like_max_iou(synthetic_root, tmp_path):
    # 0.75 * 0.01 + 0.25 * 1 < 0.5: the scores cannot add anything
    stats = assign_stats(IAC, _checkpoint(tmp_path, 0.01), images=2, batch_size=2,
                         data_root=str(synthetic_root))
    for b in stats['bands'].values():
        assert b['scored'] == b['base'] and len(b['added_iou']) == 0


def test_config_training_set_and_its_evaluation_frame(synthetic_root, tmp_path):
    """Without ``data_root`` the images come from the config's own training
    set (here the tiny smears through the IAC config's training pipeline),
    and the bands are taken in the evaluator's ``eval_size`` frame: a frame
    of 1x1 px puts every box in the small band."""
    cfg = tiny_config(tmp_path / 'iac.py', synthetic_root, base=IAC)
    ckpt = _checkpoint(tmp_path, 0.9)
    stats = assign_stats(cfg, ckpt, images=2, batch_size=2)
    assert stats['images'] == 2 and stats['scale'] == (320, 320)
    gts = {k: b['gts'] for k, b in stats['bands'].items()}
    assert gts['medium'] > 0
    tiny_frame = tiny_config(tmp_path / 'iac1px.py', synthetic_root, base=IAC,
                             extra="val_evaluator = dict(type='RescaledCocoMetric', eval_size=(1, 1))")
    small = assign_stats(tiny_frame, ckpt, images=2, batch_size=2)['bands']
    assert small['small']['gts'] == sum(gts.values())
    assert small['medium']['gts'] == small['large']['gts'] == 0


def test_head_without_scored_assigner_is_refused(synthetic_root, tmp_path):
    with pytest.raises(ValueError, match='do not assign with class scores'):
        assign_stats(BASE, _checkpoint(tmp_path, 0.5), images=2, batch_size=2,
                     data_root=str(synthetic_root))
