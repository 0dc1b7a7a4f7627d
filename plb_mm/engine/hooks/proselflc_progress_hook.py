from typing import List

from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper

from mmdet.registry import HOOKS

from ...models.losses import ProSelfLCLoss


def proselflc_losses(model) -> List[ProSelfLCLoss]:
    """Every ``ProSelfLCLoss`` module of ``model`` (a wrapper is unwrapped)."""
    if is_model_wrapper(model):
        model = model.module
    return [m for m in model.modules() if isinstance(m, ProSelfLCLoss)]


@HOOKS.register_module()
class ProSelfLCProgressHook(Hook):
    """Give every ``ProSelfLCLoss`` of the model the training progress its
    trust schedule ``g(t) = h(t / Gamma - b, B)`` needs.

    Before each training iteration it calls ``loss.set_progress(runner.iter +
    1, runner.max_iters)``: ``t`` is the 1-based number of the iteration about
    to run (the last one has ``t = Gamma``), ``Gamma`` the run's total number of
    iterations (``max_epochs x iterations per epoch`` for an epoch-based
    loop). A resumed run continues from the restored ``runner.iter``. The loss
    reads no global state; without this hook (or an explicit
    ``set_progress``) it raises on its first forward.

    Usage (a config that sets ``custom_hooks`` replaces the base's list, so
    plb_mm's three run hooks are listed again)::

        custom_hooks = [
            dict(type='WeightsOnlyCheckpointHook'), dict(type='RunMetricsHook'),
            dict(type='DivergenceHook'), dict(type='ProSelfLCProgressHook')
        ]

    A model without any ``ProSelfLCLoss`` gets a warning at the start of
    training and nothing else.
    """

    priority = 'NORMAL'

    def before_train(self, runner) -> None:
        if not proselflc_losses(runner.model):
            print_log('ProSelfLCProgressHook: the model has no ProSelfLCLoss; the hook does '
                      'nothing', logger='current', level=30)

    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        for loss in proselflc_losses(runner.model):
            loss.set_progress(runner.iter + 1, runner.max_iters)
