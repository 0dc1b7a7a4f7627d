"""plb_mm.utils.bde_energy: BDE energies of RoIs on unlabelled cells vs background."""
import pytest
import torch

from plb_mm.utils.bde_energy import GROUPS, bde_energy, format_bde_energy, group_rois

from ..conftest import REPO, TINY_SYNTHETIC, tiny_config

BDE = REPO / 'configs/bde/faster-rcnn_r18_fpn_tiny_bde_12e_sparse-cells.py'
BASE = REPO / 'configs/plb/faster-rcnn_r18_fpn_tiny_12e_synthetic-cells.py'


def test_group_rois_by_hand():
    cells = torch.tensor([[0., 0., 10., 10.], [50., 50., 60., 60.]])
    dropped = torch.tensor([False, True])
    rois = torch.tensor([[0., 0., 10., 10.],     # positive (matched to the kept cell)
                         [50., 50., 60., 61.],   # IoU 100/110 with the dropped cell
                         [55., 55., 65., 65.],   # IoU 25/175 with it: partial
                         [80., 80., 90., 90.],   # no cell
                         [0., 0., 10., 9.]])     # IoU 0.9 with the KEPT cell, yet negative
    groups = group_rois(rois, torch.tensor([True, False, False, False, False]), cells, dropped)
    assert groups == ['positive', 'unlabelled cell', 'partial overlap', 'background',
                      'partial overlap']
    assert group_rois(rois[:2], torch.tensor([False, False]), torch.zeros(0, 4),
                      torch.zeros(0, dtype=torch.bool)) == ['background', 'background']


def test_on_the_tiny_sparse_set(synthetic_root, tmp_path):
    cfg = tmp_path / 'bde.py'
    cfg.write_text(f"""
_base_ = '{BDE}'
train_dataloader = dict(num_workers=0, persistent_workers=False, dataset=dict(
    data_root='{synthetic_root}/', synthetic={TINY_SYNTHETIC!r}))
""")
    stats = bde_energy(str(cfg), None, num_images=2, batch_size=2)
    g = stats['groups']
    assert set(g) == set(GROUPS) and stats['images'] == 2
    assert stats['sparsify'] == dict(ratio=0.5, seed=0)
    from mmengine.config import Config
    per_image = Config.fromfile(str(cfg)).model.train_cfg.rcnn.sampler.num
    assert sum(s['rois'] for s in g.values()) == per_image  # every sampled RoI, once
    assert g['positive']['rois'] > 0 and g['positive']['mean_energy'] == 1
    for s in g.values():
        assert s['rois'] == 0 or 0 <= s['mean_energy'] <= 1
    for key in ('loss_none', 'loss_bde'):
        assert sum(s[key] for s in g.values() if s['rois']) == pytest.approx(1, abs=1e-4)
    assert '| unlabelled cell |' in format_bde_energy(stats)


def test_needs_a_sparse_training_set(synthetic_root, tmp_path):
    cfg = tiny_config(tmp_path / 'base.py', synthetic_root, base=BASE)
    with pytest.raises(ValueError, match='not sparse'):
        bde_energy(cfg, None, num_images=1)
