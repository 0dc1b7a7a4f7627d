"""ProSelfLCProgressHook hands the training progress to every ProSelfLCLoss of
the model before each iteration; a run without it stops at the first forward."""
import math
from types import SimpleNamespace

import pytest
import torch

from mmdet.registry import HOOKS
from plb_mm.engine import ProSelfLCProgressHook, proselflc_losses
from plb_mm.models.losses import LabelSmoothingCrossEntropyLoss, ProSelfLCLoss

from ..conftest import QUICKSTART, train_few_iters

PROSELFLC = "model = dict(roi_head=dict(bbox_head=dict(loss_cls=dict(_delete_=True, " \
            "type='ProSelfLCLoss'))))\n"


def test_sets_every_proselflc_loss():
    model = torch.nn.ModuleDict(dict(a=ProSelfLCLoss(), b=torch.nn.Sequential(ProSelfLCLoss()),
                                     c=LabelSmoothingCrossEntropyLoss()))
    assert len(proselflc_losses(model)) == 2
    hook = HOOKS.build(dict(type='ProSelfLCProgressHook'))
    assert isinstance(hook, ProSelfLCProgressHook)
    hook.before_train_iter(SimpleNamespace(model=model, iter=4, max_iters=10), 4)
    for loss in (model['a'], model['b'][0]):
        assert (loss.cur_iter, loss.max_iters) == (5, 10)  # the 5th iteration of 10 runs next
        assert loss.global_trust() == 1 / (1 + math.exp(-16 * (0.5 - 0.5)))
    # the last iteration runs at t = Gamma
    hook.before_train_iter(SimpleNamespace(model=model, iter=9, max_iters=10), 9)
    assert model['a'].cur_iter == 10


def _config(tmp_path, hook: bool):
    path = tmp_path / 'proselflc.py'
    run_hooks = "dict(type='WeightsOnlyCheckpointHook'), dict(type='RunMetricsHook'), " \
                "dict(type='DivergenceHook')"
    hooks = f"custom_hooks = [{run_hooks}, dict(type='ProSelfLCProgressHook')]\n" if hook else ''
    path.write_text(f"_base_ = '{QUICKSTART}'\n{PROSELFLC}{hooks}")
    return path


def test_in_a_training_run(synthetic_root, tmp_path):
    losses, runner = train_few_iters(_config(tmp_path, hook=True), synthetic_root,
                                     tmp_path / 'work', iters=3)
    assert all(math.isfinite(v) for v in losses.values())
    loss = runner.model.roi_head.bbox_head.loss_cls
    assert (loss.cur_iter, loss.max_iters) == (3, 3)


def test_without_the_hook_the_run_stops(synthetic_root, tmp_path):
    with pytest.raises(RuntimeError, match='ProSelfLCProgressHook'):
        train_few_iters(_config(tmp_path, hook=False), synthetic_root, tmp_path / 'work', iters=1)
