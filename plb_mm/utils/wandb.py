import os
import os.path as osp
from typing import Optional, Sequence

from mmengine.config import Config


def wandb_has_key() -> bool:
    """Whether W&B can log online: ``WANDB_API_KEY`` or a ``wandb login``."""
    if os.environ.get('WANDB_API_KEY'):
        return True
    netrc = osp.expanduser('~/.netrc')
    return osp.isfile(netrc) and 'api.wandb.ai' in open(netrc).read()


def add_wandb_backend(cfg: Config, project: Optional[str] = None,
                      group: Optional[str] = None, name: Optional[str] = None,
                      tags: Sequence[str] = (), config: Optional[dict] = None) -> dict:
    """Add a W&B backend (:class:`~plb_mm.visualization.FailSafeWandbVisBackend`,
    mmengine's ``WandbVisBackend`` that never stops training) to ``cfg.visualizer``.

    The run logs to ``project`` (default ``cfg.wandb.project`` or ``plb_mm``);
    it is offline (``mode='offline'``) unless a key is available or
    ``WANDB_MODE`` says otherwise, and its run directory lies under the run's
    log directory in the work dir (``<work_dir>/<timestamp>/vis_data/wandb``).
    A ``wandb = dict(project=..., group=..., tags=[...])`` entry in the config
    gives defaults for the arguments.

    Returns:
        dict: the backend config that was added.
    """
    defaults = dict(cfg.get('wandb') or {})
    init_kwargs = dict(
        project=project or defaults.get('project', 'plb_mm'),
        name=name or defaults.get('name') or osp.basename(cfg.work_dir.rstrip('/')),
        group=group or defaults.get('group'),
        tags=list(tags) or list(defaults.get('tags', [])),
        config=dict(config or {}, **defaults.get('config', {})),
    )
    if not os.environ.get('WANDB_MODE') and not wandb_has_key():
        init_kwargs['mode'] = 'offline'
    init_kwargs = {k: v for k, v in init_kwargs.items() if v not in (None, [], {})}
    backend = dict(type='FailSafeWandbVisBackend', init_kwargs=init_kwargs)
    vis = cfg.setdefault('visualizer', dict(type='DetLocalVisualizer', name='visualizer'))
    backends = [b for b in vis.get('vis_backends', [])
                if b.get('type') not in ('WandbVisBackend', 'FailSafeWandbVisBackend')]
    vis['vis_backends'] = backends + [backend]
    return backend
