"""Checkpoint loading that keeps ``torch.load(weights_only=True)``.

torch >= 2.6 loads with ``weights_only=True`` by default, and mmengine 0.10.7
cannot read its own checkpoints that way: its message hub pickles
``HistoryBuffer`` objects whose bound statistics methods need ``getattr`` to
unpickle, and allow-listing ``getattr`` would make the safe loader unsafe.

plb_mm keeps the safe loader and fixes the files instead:

- :class:`~plb_mm.engine.hooks.WeightsOnlyCheckpointHook` (added to every run
  by ``plb_mm.apis``) stores the message hub as tensors and plain Python when a
  checkpoint is saved and rebuilds it when one is loaded, so plb_mm checkpoints
  resume (``--resume``) and test (``tools/test.py``) under ``weights_only=True``;
- this module replaces mmengine's local-file loader with one that names the
  file and tells how to opt in when a file needs the unsafe loader (a
  checkpoint from stock mmengine, say). Opting in (``--trust-checkpoint``, or
  ``PLB_TRUST_CHECKPOINT=1``) loads with ``weights_only=False``: do it only for
  files you trust.
"""
import os
import os.path as osp
import pickle
from contextlib import contextmanager

import torch
from mmengine.runner.checkpoint import CheckpointLoader

TRUST_ENV = 'PLB_TRUST_CHECKPOINT'


def checkpoint_trusted() -> bool:
    """Whether checkpoints may be loaded with ``weights_only=False``."""
    return os.environ.get(TRUST_ENV, '0').lower() in ('1', 'true', 'yes')


def set_checkpoint_trust(trust: bool) -> None:
    """Allow (or forbid) the unsafe loader for this process and its children."""
    os.environ[TRUST_ENV] = '1' if trust else '0'


@contextmanager
def trusted_checkpoints(trust: bool = True):
    """Temporarily allow the unsafe loader (tests, conversion scripts)."""
    old = os.environ.get(TRUST_ENV)
    set_checkpoint_trust(trust)
    try:
        yield
    finally:
        if old is None:
            os.environ.pop(TRUST_ENV, None)
        else:
            os.environ[TRUST_ENV] = old


@CheckpointLoader.register_scheme(prefixes='', force=True)
def load_from_local(filename, map_location):
    """mmengine's local-file loader, with ``weights_only`` made explicit."""
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'{filename} can not be found.')
    trusted = checkpoint_trusted()
    try:
        return torch.load(filename, map_location=map_location, weights_only=not trusted)
    except pickle.UnpicklingError as e:
        raise pickle.UnpicklingError(
            f'{filename}: the file holds Python objects that torch.load(weights_only=True) '
            f'refuses (it was not saved by a plb_mm run, e.g. by stock mmengine). If you '
            f'trust the file, load it with `--trust-checkpoint` (tools/train.py, '
            f'tools/test.py) or {TRUST_ENV}=1; this runs pickled code from the file.\n'
            f'torch said: {str(e).splitlines()[-1] if str(e) else e}') from e
