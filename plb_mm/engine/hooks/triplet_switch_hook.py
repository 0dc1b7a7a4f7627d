from typing import List

from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper

from mmdet.registry import HOOKS

from ...models.dense_heads import SLADetYOLOXHead


def triplet_heads(model) -> List[SLADetYOLOXHead]:
    """Every ``SLADetYOLOXHead`` of ``model`` with a triplet term configured
    (a wrapper is unwrapped)."""
    if is_model_wrapper(model):
        model = model.module
    return [m for m in model.modules()
            if isinstance(m, SLADetYOLOXHead) and m.triplet_cfg is not None]


@HOOKS.register_module()
class TripletSwitchHook(Hook):
    """Switch SLA-Det's triplet term on for the epochs ``[0, until_epoch)``
    and off after (SPEC 4: the first 40 of 50 epochs; the paper's Section 5.2).

    Before each training epoch it sets ``head.use_triplet = runner.epoch <
    until_epoch`` (``runner.epoch`` is 0-based) on every ``SLADetYOLOXHead``
    with a ``triplet`` config; it is set anew every epoch, so a resumed run
    gets the right value. Without the hook the term stays on for the whole run.

    Usage (a config that sets ``custom_hooks`` replaces the base's list)::

        custom_hooks = [..., dict(type='TripletSwitchHook', until_epoch=40)]

    A model without such a head gets a warning at the start of training and
    nothing else.
    """

    priority = 'NORMAL'

    def __init__(self, until_epoch: int = 40) -> None:
        if until_epoch < 0:
            raise ValueError(f'until_epoch must be >= 0, got {until_epoch}')
        self.until_epoch = until_epoch

    def before_train(self, runner) -> None:
        if not triplet_heads(runner.model):
            print_log('TripletSwitchHook: the model has no SLADetYOLOXHead with a triplet '
                      'term; the hook does nothing', logger='current', level=30)

    def before_train_epoch(self, runner) -> None:
        on = runner.epoch < self.until_epoch
        for head in triplet_heads(runner.model):
            if head.use_triplet != on:
                print_log(f'TripletSwitchHook: triplet loss {"on" if on else "off"} from '
                          f'epoch {runner.epoch + 1}', logger='current')
            head.use_triplet = on
