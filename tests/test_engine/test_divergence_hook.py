"""A diverging run stops at once, names the iteration and the loss terms,
writes no checkpoint of the broken state and is marked failed."""
import json
import os.path as osp
from types import SimpleNamespace

import pytest
import torch
from mmengine.hooks import Hook

from plb_mm.apis import build_runner, load_config, setup_train_cfg
from plb_mm.engine import DivergenceHook, TrainingDivergedError, read_run_metrics

from ..conftest import tiny_config


def _runner(tmp_path, it=4, model=None):
    return SimpleNamespace(work_dir=str(tmp_path), iter=it, epoch=1, model=model)


def test_non_finite_term_is_named(tmp_path):
    hook = DivergenceHook()
    ok = {'loss': torch.tensor(2.0), 'loss_cls': torch.tensor(1.5), 'acc': torch.tensor(90.)}
    hook.after_train_iter(_runner(tmp_path), 0, outputs=ok)  # nothing happens
    assert read_run_metrics(str(tmp_path)) is None
    bad = {'loss': torch.tensor(float('nan')), 'loss_cls': torch.tensor(float('nan')),
           'loss_bbox': torch.tensor(0.3), 'acc': torch.tensor(float('nan'))}
    with pytest.raises(TrainingDivergedError,
                       match=r'training diverged at iteration 5 \(epoch 2\): non-finite loss: '
                             r'loss=nan, loss_cls=nan\. No checkpoint'):
        hook.after_train_iter(_runner(tmp_path), 0, outputs=bad)
    metrics = read_run_metrics(str(tmp_path))
    assert metrics['status'] == 'failed' and 'loss_cls=nan' in metrics['error']


def test_huge_loss_counts_as_divergence(tmp_path):
    out = {'loss': torch.tensor(1.7e15), 'loss_cls': torch.tensor(1.7e15)}
    with pytest.raises(TrainingDivergedError, match=r'loss=1\.7e\+15 above max_loss=1e\+06'):
        DivergenceHook().after_train_iter(_runner(tmp_path), 0, outputs=out)
    DivergenceHook(max_loss=None).after_train_iter(_runner(tmp_path / 'b'), 0, outputs=out)
    # interval: only every n-th iteration is looked at (iteration 5 is not a multiple of 2)
    DivergenceHook(interval=2).after_train_iter(_runner(tmp_path / 'c'), 0, outputs=out)


def test_checkpoint_with_non_finite_weights_is_refused(tmp_path):
    model = torch.nn.Linear(2, 2)
    DivergenceHook().before_save_checkpoint(_runner(tmp_path, model=model), {})
    with torch.no_grad():
        model.bias[1] = float('inf')
    with pytest.raises(TrainingDivergedError, match=r'1 weight tensors are not finite \(e\.g\. '
                                                     r'bias\); the checkpoint of iteration 4'):
        DivergenceHook().before_save_checkpoint(_runner(tmp_path, model=model), {})


class _PoisonAtIteration3(Hook):
    """Makes the RoI classifier NaN right before the third iteration."""

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        if runner.iter == 2:
            with torch.no_grad():
                runner.model.roi_head.bbox_head.fc_cls.weight.fill_(float('nan'))


def test_nan_at_iteration_3_stops_the_run(tmp_path, synthetic_root):
    """Through a config's own hooks (configs/_base_/default_runtime.py), with
    a checkpoint after every iteration: iterations 1 and 2 are saved, the
    diverged iteration 3 is not, and the run is marked failed."""
    cfg_file = tiny_config(tmp_path / 'tiny.py', synthetic_root, max_epochs=1, extra=(
        "default_hooks = dict(checkpoint=dict(interval=1, by_epoch=False, max_keep_ckpts=-1))"))
    work_dir = tmp_path / 'work'
    runner = build_runner(setup_train_cfg(load_config(cfg_file), work_dir=str(work_dir)))
    runner.register_hook(_PoisonAtIteration3())
    with pytest.raises(TrainingDivergedError, match=r'iteration 3 \(epoch 1\): non-finite loss: '
                                                     r'.*loss_cls=nan'):
        runner.train()
    assert osp.isfile(work_dir / 'iter_2.pth') and not osp.exists(work_dir / 'iter_3.pth')
    metrics = json.loads((work_dir / 'metrics.json').read_text())
    assert metrics['status'] == 'failed' and 'iteration 3' in metrics['error']
