import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# The start-up image check caches its results; keep the tests' cache (and
# that of the tools they start) out of the user's home.
os.environ.setdefault('PLB_MM_CACHE_DIR', tempfile.mkdtemp(prefix='plb_mm_test_cache_'))
QUICKSTART = REPO / 'configs/quickstart/faster-rcnn_r18_fpn_tiny_12e_synthetic-cells.py'
# A tiny synthetic data set shared by the tests that train.
TINY_SYNTHETIC = dict(num_train=8, num_val=4, seed=0, img_size=320)


@pytest.fixture(autouse=True)
def _isolated_checkpoint_trust(monkeypatch):
    """``setup_*_cfg`` sets PLB_TRUST_CHECKPOINT for its process (and the
    children it starts); each test starts with it off and leaves no trace."""
    monkeypatch.setenv('PLB_TRUST_CHECKPOINT', '0')


@pytest.fixture(scope='session')
def synthetic_root(tmp_path_factory):
    from plb_mm.datasets import generate_synthetic_cells
    root = tmp_path_factory.mktemp('data') / 'cells'
    generate_synthetic_cells(str(root), verbose=False, **TINY_SYNTHETIC)
    return root


def tiny_config(path: Path, data_root: Path, base: Path = QUICKSTART, extra: str = '',
                max_epochs: int = 2, synthetic: dict = TINY_SYNTHETIC) -> str:
    """Write a child of ``base`` that trains ``max_epochs`` short epochs on the
    tiny synthetic set (batch 2, no workers, checkpoint every epoch)."""
    path.write_text(f"""
_base_ = '{base}'
data_root = '{data_root}/'
synthetic = {synthetic!r}
train_dataloader = dict(batch_size=2, num_workers=0, persistent_workers=False,
                        dataset=dict(data_root=data_root, synthetic=synthetic))
val_dataloader = dict(batch_size=2, num_workers=0, persistent_workers=False,
                      dataset=dict(data_root=data_root, synthetic=synthetic))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=data_root + 'annotations/val.json')
test_evaluator = val_evaluator
train_cfg = dict(max_epochs={max_epochs}, val_interval={max_epochs})
default_hooks = dict(logger=dict(interval=1), checkpoint=dict(interval=1, max_keep_ckpts=-1))
{extra}
""")
    return str(path)


def run_tool(*args, env=None, timeout=900, check=True):
    """Run a repo tool (``tools/train.py ...`` or a shell script) from the repo
    root with this interpreter; returns the CompletedProcess (output captured)."""
    full_env = dict(os.environ, PYTHON=sys.executable, **(env or {}))
    full_env = {k: v for k, v in full_env.items() if v is not None}  # None unsets
    cmd = ['bash', *args] if args[0].endswith('.sh') else [sys.executable, *args]
    proc = subprocess.run(cmd, cwd=REPO, env=full_env, capture_output=True, text=True,
                          timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f'{cmd} failed ({proc.returncode}):\n'
                             f'{proc.stdout[-4000:]}\n{proc.stderr[-6000:]}')
    return proc


def few_iters_config(config_path, data_root, work_dir, iters: int = 2, scale=(160, 160)):
    """``config_path`` rewired to train ``iters`` iterations on the tiny
    synthetic set at ``scale`` (3 classes, from scratch, no validation): its
    model, heads, losses and optimizer are the config's own."""
    from mmengine.config import Config

    from plb_mm.utils import set_num_classes
    cfg = Config.fromfile(str(config_path))
    set_num_classes(cfg.model, 3)
    if 'init_cfg' in cfg.model.get('backbone', {}):
        cfg.model.backbone.init_cfg = None
    pipeline = [dict(type='LoadImageFromFile'), dict(type='LoadAnnotations', with_bbox=True),
                dict(type='Resize', scale=scale, keep_ratio=True), dict(type='PackDetInputs')]
    cfg.train_dataloader = dict(
        batch_size=2, num_workers=0, persistent_workers=False,
        sampler=dict(type='DefaultSampler', shuffle=True),
        dataset=dict(type='SyntheticCellsDataset', data_root=str(data_root),
                     ann_file='annotations/train.json', data_prefix=dict(img=''),
                     synthetic=TINY_SYNTHETIC, pipeline=pipeline))
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=iters, val_interval=iters + 1)
    for key in ('val_cfg', 'val_dataloader', 'val_evaluator', 'test_cfg', 'test_dataloader',
                'test_evaluator'):
        cfg[key] = None
    cfg.param_scheduler = None
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=10**6)
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=1)
    cfg.log_processor = dict(type='LogProcessor', window_size=1, by_epoch=False)
    cfg.visualizer.vis_backends = [dict(type='LocalVisBackend')]
    cfg.work_dir = str(work_dir)
    return cfg


def train_few_iters(config_path, data_root, work_dir, iters: int = 2):
    """Train ``iters`` real iterations through plb_mm's runner; returns the
    losses logged at the last one and the runner."""
    from plb_mm.apis import build_runner, setup_train_cfg
    cfg = setup_train_cfg(few_iters_config(config_path, data_root, work_dir, iters),
                          work_dir=str(work_dir))
    runner = build_runner(cfg)
    runner.train()
    hub = runner.message_hub
    assert runner.iter == iters
    losses = {k[len('train/'):]: v.current() for k, v in hub.log_scalars.items()
              if k.startswith('train/loss')}
    return losses, runner


def predict_once(runner, score_thr: float = 0.0):
    """Predict two training images with the runner's model and its config's
    test settings (``score_thr`` lowered so that random weights keep boxes)."""
    import torch
    from mmengine.dataset import pseudo_collate
    model = runner.model
    for head in (getattr(model, 'roi_head', None), getattr(model, 'bbox_head', None)):
        if head is not None and 'score_thr' in (head.test_cfg or {}):
            head.test_cfg['score_thr'] = score_thr
    ds = runner.train_dataloader.dataset
    model.eval()
    with torch.no_grad():
        data = model.data_preprocessor(pseudo_collate([ds[0], ds[1]]), False)
        results = model(**data, mode='predict')
    assert len(results) == 2
    for r in results:
        assert r.pred_instances.bboxes.shape[1] == 4
        assert len(r.pred_instances.scores) == len(r.pred_instances.labels)
    return results


def group_by_training_setup(paths):
    """``paths`` grouped by what :func:`train_few_iters` trains of them: the
    model (rewired to 3 classes), the optimizer and the custom hooks. The same
    method row on BCCD, VOC and the synthetic smears differs only in data,
    schedule and class count, which ``train_few_iters`` replaces, so the row is
    trained once for its data sets; its other configs still get every check
    that reads the config. Returns a list of groups in the order of ``paths``."""
    import json
    groups = {}
    for path in paths:
        cfg = few_iters_config(path, '/unused', '/unused')
        key = json.dumps(dict(model=cfg.model.to_dict(), optim=cfg.optim_wrapper.to_dict(),
                              hooks=cfg.get('custom_hooks')), sort_keys=True, default=str)
        groups.setdefault(key, []).append(Path(path))
    return list(groups.values())


def group_id(group) -> str:
    """pytest id of a group: its first config, and how many share its setup."""
    return group[0].stem + (f'+{len(group) - 1}-same-setup' if len(group) > 1 else '')
