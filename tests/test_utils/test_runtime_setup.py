import os

import pytest
from mmengine.config import Config

from plb_mm.apis import format_metrics, setup_train_cfg
from plb_mm.utils import add_wandb_backend, setup_distributed

from ..conftest import QUICKSTART


def _cfg():
    return Config.fromfile(str(QUICKSTART))


def test_wandb_backend_offline_without_key(monkeypatch, tmp_path):
    monkeypatch.delenv('WANDB_API_KEY', raising=False)
    monkeypatch.delenv('WANDB_MODE', raising=False)
    monkeypatch.setenv('HOME', str(tmp_path))
    cfg = _cfg()
    cfg.work_dir = 'work_dirs/grid/variant/seed0'
    backend = add_wandb_backend(cfg, group='grid', tags=['variant', 'seed0'])
    assert backend['type'] == 'FailSafeWandbVisBackend'
    assert backend['init_kwargs'] == dict(project='plb_mm', name='seed0', group='grid',
                                          tags=['variant', 'seed0'], mode='offline')
    assert cfg.visualizer.vis_backends[-1] == backend
    add_wandb_backend(cfg)  # adding twice keeps one backend
    assert sum(b['type'] == 'FailSafeWandbVisBackend' for b in cfg.visualizer.vis_backends) == 1
    monkeypatch.setenv('WANDB_API_KEY', 'x' * 40)
    assert 'mode' not in add_wandb_backend(cfg)['init_kwargs']


def test_cpu_distributed_needs_torchrun_env(monkeypatch):
    cfg = _cfg()
    setup_distributed(cfg, 'none')
    assert 'model_wrapper_cfg' not in cfg
    for var in ('RANK', 'WORLD_SIZE', 'MASTER_ADDR'):
        monkeypatch.delenv(var, raising=False)
    with pytest.raises(RuntimeError, match=r'needs \$RANK; start the run with torchrun'):
        setup_distributed(cfg, 'pytorch')
    with pytest.raises(RuntimeError, match="launcher 'slurm' without CUDA is not supported"):
        setup_distributed(cfg, 'slurm')


def test_amp_without_cuda_is_a_clear_error():
    with pytest.raises(RuntimeError, match='--amp needs a CUDA device'):
        setup_train_cfg(_cfg(), work_dir='w', amp=True)


def test_run_hooks_come_from_the_config_not_the_tool(tmp_path):
    cfg = setup_train_cfg(_cfg(), work_dir=str(tmp_path / 'none'), resume='auto')
    assert cfg.work_dir.endswith('none')
    assert [h['type'] for h in _cfg().custom_hooks] == \
        [h['type'] for h in cfg.custom_hooks] == \
        ['WeightsOnlyCheckpointHook', 'RunMetricsHook', 'DivergenceHook']
    assert cfg.resume is True and cfg.load_from is None
    bare = _cfg()
    bare.custom_hooks = []
    with pytest.warns(UserWarning, match=r"custom_hooks lacks \['WeightsOnlyCheckpointHook', "
                      r"'RunMetricsHook', 'DivergenceHook'\]"):
        setup_train_cfg(bare, work_dir=str(tmp_path / 'bare'))
    assert bare.custom_hooks == []  # the tool adds nothing behind the config's back
    cfg = setup_train_cfg(_cfg(), work_dir=str(tmp_path / 'x'), resume='x.pth')
    assert cfg.load_from == 'x.pth'
    assert os.environ['PLB_TRUST_CHECKPOINT'] == '0'


def test_format_metrics_table():
    table = format_metrics({'coco/bbox_mAP': 0.5123, 'coco/bbox_mAP_s': 0.1, 'coco/bbox_mAP_50': 0.9})
    assert table.splitlines() == ['| mAP | AP50 | AP_s |', '|---|---|---|', '| 51.2 | 90.0 | 10.0 |']
