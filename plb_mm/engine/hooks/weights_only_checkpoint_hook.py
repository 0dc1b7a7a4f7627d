from collections import OrderedDict

import numpy as np
import torch
from mmengine.hooks import Hook
from mmengine.logging import HistoryBuffer
from mmdet.registry import HOOKS

_BUFFER = '__plb_history_buffer__'
_ARRAY = '__plb_ndarray__'


def to_weights_only(obj):
    """``obj`` with every ``HistoryBuffer``, numpy array and numpy scalar
    replaced by tensors and plain Python that ``torch.load(weights_only=True)``
    accepts; :func:`from_weights_only` undoes it."""
    if isinstance(obj, HistoryBuffer):
        log, count = obj.data
        return {_BUFFER: True, 'log': torch.from_numpy(np.asarray(log, np.float64)),
                'count': torch.from_numpy(np.asarray(count, np.float64)),
                'max_length': obj.max_length}
    if isinstance(obj, np.ndarray):
        return {_ARRAY: torch.from_numpy(np.ascontiguousarray(obj))}
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, OrderedDict):
        return OrderedDict((k, to_weights_only(v)) for k, v in obj.items())
    if isinstance(obj, dict):
        return {k: to_weights_only(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(to_weights_only(v) for v in obj)
    return obj


def from_weights_only(obj):
    """Inverse of :func:`to_weights_only`."""
    if isinstance(obj, dict):
        if obj.get(_BUFFER) is True:
            return HistoryBuffer(obj['log'].numpy(), obj['count'].numpy(), obj['max_length'])
        if _ARRAY in obj and len(obj) == 1:
            return obj[_ARRAY].numpy()
        return type(obj)((k, from_weights_only(v)) for k, v in obj.items())
    if isinstance(obj, (list, tuple)):
        return type(obj)(from_weights_only(v) for v in obj)
    return obj


@HOOKS.register_module()
class WeightsOnlyCheckpointHook(Hook):
    """Save checkpoints that ``torch.load(weights_only=True)`` can read.

    mmengine puts its ``MessageHub`` state (``HistoryBuffer`` objects, numpy
    scalars) into every checkpoint; torch >= 2.6 refuses those under its
    default ``weights_only=True``. This hook converts that state to tensors and
    plain Python before saving and back after loading, so ``--resume`` and
    ``tools/test.py`` work with the safe loader. It runs last when saving
    (``LOWEST`` priority) so that it sees what other hooks added.
    """

    priority = 'LOWEST'

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        for key in ('message_hub', 'meta'):
            if key in checkpoint:
                checkpoint[key] = to_weights_only(checkpoint[key])

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        if 'message_hub' in checkpoint:
            checkpoint['message_hub'] = from_weights_only(checkpoint['message_hub'])
