"""A Weights & Biases backend that never stops training.

mmengine's ``WandbVisBackend`` lets every W&B failure through: with a wrong
key and no network ``wandb.init`` blocks for minutes inside
``Runner.__init__`` and then raises, and a failure while logging ends the run.
Logging is a side channel; the training is what costs hours.
"""
import os
import socket
import warnings
from typing import Optional
from urllib.parse import urlparse

from mmengine.visualization import WandbVisBackend
from mmdet.registry import VISBACKENDS

DEFAULT_WANDB_URL = 'https://api.wandb.ai'


def wandb_reachable(timeout: float = 3.0) -> bool:
    """Whether a TCP connection to the W&B server (``WANDB_BASE_URL``, else
    api.wandb.ai) opens within ``timeout`` seconds."""
    url = urlparse(os.environ.get('WANDB_BASE_URL') or DEFAULT_WANDB_URL)
    port = url.port or (443 if url.scheme == 'https' else 80)
    try:
        with socket.create_connection((url.hostname, port), timeout=timeout):
            return True
    except OSError:
        return False


@VISBACKENDS.register_module()
class FailSafeWandbVisBackend(WandbVisBackend):
    """``WandbVisBackend`` that degrades instead of failing.

    - At start, an online run first checks (a 3 s TCP connect) that the W&B
      server can be reached; if not, it logs offline from the start.
    - If ``wandb.init`` raises (bad key, server error), it retries offline;
      if that fails too, the backend turns itself off.
    - If logging raises during the run, the backend turns itself off.

    Each fallback prints one warning; training goes on in every case. Offline
    runs leave their files in the run's ``vis_data/wandb`` for ``wandb sync``.

    Args:
        connect_timeout (float): seconds for the reachability check.
        (the others: mmengine's ``WandbVisBackend``)
    """

    def __init__(self, save_dir: str, init_kwargs: Optional[dict] = None,
                 connect_timeout: float = 3.0, **kwargs):
        super().__init__(save_dir, init_kwargs=dict(init_kwargs or {}), **kwargs)
        self.connect_timeout = connect_timeout
        self._off = False

    def _warn(self, message: str) -> None:
        warnings.warn(f'W&B: {message}; training goes on', RuntimeWarning, stacklevel=3)

    def _init_env(self):
        kwargs = self._init_kwargs
        online = (kwargs.get('mode') or os.environ.get('WANDB_MODE') or 'online') == 'online'
        if online and not wandb_reachable(self.connect_timeout):
            self._warn(f'the server ({os.environ.get("WANDB_BASE_URL") or DEFAULT_WANDB_URL}) '
                       f'cannot be reached; logging offline to {self._save_dir} '
                       f'(upload later with `wandb sync`)')
            kwargs['mode'] = 'offline'
        try:
            super()._init_env()
            return
        except Exception as e:  # noqa: BLE001 - any W&B failure must not stop training
            if kwargs.get('mode') == 'offline':
                return self._turn_off(f'wandb.init failed offline ({type(e).__name__}: {e})')
            self._warn(f'wandb.init failed ({type(e).__name__}: {e}); logging offline')
        kwargs['mode'] = 'offline'
        try:
            super()._init_env()
        except Exception as e:  # noqa: BLE001
            self._turn_off(f'wandb.init failed offline too ({type(e).__name__}: {e})')

    def _turn_off(self, why: str) -> None:
        self._warn(f'{why}; W&B logging is off for this run')
        self._off = True

    @property
    def experiment(self):
        """The ``wandb`` module, or None when the backend is off."""
        self._ensure_env()
        return None if self._off else self._wandb

    def _ensure_env(self) -> None:
        if not getattr(self, '_env_initialized', False):
            self._init_env()
            self._env_initialized = True

    def _guarded(self, name: str, *args, **kwargs):
        self._ensure_env()
        if self._off:
            return None
        try:
            return getattr(super(), name)(*args, **kwargs)
        except Exception as e:  # noqa: BLE001
            self._turn_off(f'{name} failed ({type(e).__name__}: {e})')
            return None

    def add_config(self, config, **kwargs) -> None:
        self._guarded('add_config', config, **kwargs)

    def add_graph(self, model, data_batch, **kwargs) -> None:
        self._guarded('add_graph', model, data_batch, **kwargs)

    def add_image(self, name, image, step=0, **kwargs) -> None:
        self._guarded('add_image', name, image, step, **kwargs)

    def add_scalar(self, name, value, step=0, **kwargs) -> None:
        self._guarded('add_scalar', name, value, step, **kwargs)

    def add_scalars(self, scalar_dict, step=0, file_path=None, **kwargs) -> None:
        self._guarded('add_scalars', scalar_dict, step, file_path, **kwargs)

    def close(self) -> None:
        if getattr(self, '_env_initialized', False) and not self._off:
            self._guarded('close')
