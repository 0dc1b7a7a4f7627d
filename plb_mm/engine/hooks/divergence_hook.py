import math
from typing import Dict, Optional

import torch
from mmengine.dist import all_reduce, get_world_size, is_main_process
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmdet.registry import HOOKS

from .run_metrics_hook import update_run_metrics


class TrainingDivergedError(FloatingPointError):
    """A run stopped because its loss or its weights are no longer finite."""


@HOOKS.register_module()
class DivergenceHook(Hook):
    """Stop a run whose loss diverges, before a broken checkpoint is written.

    After every training iteration (``interval``), each ``loss*`` entry the
    model logged is checked: a non-finite value, or a total loss above
    ``max_loss``, raises :class:`TrainingDivergedError` naming the iteration
    and the offending terms, marks ``metrics.json`` ``failed`` and ends the
    run with a non-zero exit. The check is agreed over all ranks (one
    all-reduce of a flag), so every process stops at the same iteration.

    It runs before the checkpoint hook in ``after_train_iter`` (priority
    ``VERY_HIGH``), so an iteration-based checkpoint of a diverged step is
    never saved; and it refuses any checkpoint whose weights are not finite
    (``before_save_checkpoint``), whatever produced them.

    mmdet's ``CheckInvalidLossHook`` checks only the total loss, every 50
    iterations by default, names no term, and does not guard the checkpoint.

    Args:
        interval (int): check every ``interval`` iterations. Default 1: the
            check reads numbers the logger already holds.
        max_loss (float, optional): a finite total loss above this also counts
            as divergence (1e6 by default; detection losses are O(1)). None
            disables the threshold.
    """

    priority = 'VERY_HIGH'

    def __init__(self, interval: int = 1, max_loss: Optional[float] = 1e6):
        self.interval = interval
        self.max_loss = max_loss

    def after_train_iter(self, runner, batch_idx: int, data_batch=None,
                         outputs: Optional[Dict] = None) -> None:
        if not outputs or not self.every_n_train_iters(runner, self.interval):
            return
        losses = {k: float(v.detach() if torch.is_tensor(v) else v)
                  for k, v in outputs.items() if 'loss' in k}
        bad = {k: v for k, v in losses.items() if not math.isfinite(v)}
        total = losses.get('loss')
        too_big = (self.max_loss is not None and total is not None and math.isfinite(total)
                   and total > self.max_loss)
        flag = torch.tensor([float(bool(bad) or too_big)])
        if get_world_size() > 1:
            all_reduce(flag, op='max')
        if flag.item() == 0:
            return
        if bad:
            what = 'non-finite loss: ' + ', '.join(f'{k}={v}' for k, v in bad.items())
        elif too_big:
            what = f'loss={total:.4g} above max_loss={self.max_loss:g}'
        else:
            what = 'another rank saw a non-finite loss'
        self._fail(runner, f'training diverged at iteration {runner.iter + 1} (epoch '
                   f'{runner.epoch + 1}): {what}')

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        bad = [name for name, t in model.state_dict().items()
               if t.is_floating_point() and not torch.isfinite(t).all()]
        if bad:
            self._fail(runner, f'{len(bad)} weight tensors are not finite (e.g. '
                       f'{", ".join(bad[:3])}); the checkpoint of iteration {runner.iter} '
                       f'is not written')

    def _fail(self, runner, message: str) -> None:
        message = (f'{runner.work_dir}: {message}. No checkpoint of this state is written; '
                   f'lower the learning rate or clip gradients (optim_wrapper.clip_grad), '
                   f'then restart or resume from the last good checkpoint.')
        if is_main_process():
            update_run_metrics(runner.work_dir, status='failed', error=message,
                               iter=runner.iter, epoch=runner.epoch)
        raise TrainingDivergedError(message)
