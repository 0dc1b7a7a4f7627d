"""What tools/train.py and tools/test.py do, as functions (the tools only parse
arguments)."""
import contextlib
import os
import os.path as osp
import warnings
from typing import Dict, Optional, Sequence, Union

import torch
from mmengine.config import Config
from mmengine.dist import get_rank, is_main_process
from mmengine.registry import RUNNERS
from mmengine.runner import Runner

from ..engine import (WorkDirLock, check_checkpoint_fits, check_pretrained_weights,
                      find_resumable_checkpoint, set_checkpoint_trust, update_run_metrics)
from ..utils import add_wandb_backend, check_config_types, setup_distributed

# The hooks a plb_mm run relies on; configs declare them in `custom_hooks`
# (configs/_base_/default_runtime.py), so mmdet's own tools/train.py gives the
# same run.
RUN_HOOKS = ('WeightsOnlyCheckpointHook', 'RunMetricsHook', 'DivergenceHook')


def load_config(config: Union[str, Config], cfg_options: Optional[dict] = None) -> Config:
    cfg = config if isinstance(config, Config) else Config.fromfile(config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    check_config_types(cfg)
    return cfg


def _default_work_dir(cfg: Config) -> str:
    return osp.join('./work_dirs', osp.splitext(osp.basename(cfg.filename))[0])


def _check_run_hooks(cfg: Config) -> None:
    """Warn when a config lacks the hooks of :data:`RUN_HOOKS` (a config that
    sets its own ``custom_hooks`` list replaces the base's)."""
    have = {str(h.get('type', '')).split('.')[-1] for h in cfg.get('custom_hooks') or []}
    missing = [t for t in RUN_HOOKS if t not in have]
    if missing:
        warnings.warn(
            f'{cfg.filename}: custom_hooks lacks {missing} (declared in '
            f'configs/_base_/default_runtime.py; a config that sets custom_hooks replaces '
            f"the base's list, so list them too): without them checkpoints need "
            f'--trust-checkpoint to load, metrics.json is not written and divergence is not '
            f'detected')


def setup_train_cfg(cfg: Config, work_dir: Optional[str] = None,
                    resume: Optional[str] = None, amp: bool = False,
                    auto_scale_lr: bool = False, launcher: str = 'none',
                    wandb: Union[bool, Dict] = False,
                    trust_checkpoint: bool = False) -> Config:
    """Apply tools/train.py's options to ``cfg`` (in place) and return it.

    Args:
        work_dir: where the run writes; default ``work_dirs/<config name>``.
        resume: ``'auto'`` (the latest checkpoint of the work dir), a
            checkpoint path, or None.
        amp: mixed precision (``AmpOptimWrapper``, CUDA only).
        auto_scale_lr: scale the lr by the actual batch size.
        launcher: ``'none'``, ``'pytorch'``, ``'slurm'`` or ``'mpi'``.
        wandb: add W&B logging; a dict gives ``project``/``group``/``name``/``tags``.
        trust_checkpoint: allow ``torch.load(weights_only=False)`` for
            checkpoints that need it (see ``plb_mm.engine.checkpoint``).
    """
    cfg.work_dir = work_dir or cfg.get('work_dir') or _default_work_dir(cfg)
    if amp:
        if not torch.cuda.is_available():
            raise RuntimeError('--amp needs a CUDA device (mmengine AmpOptimWrapper); '
                               'this machine has none')
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.loss_scale = 'dynamic'
    if auto_scale_lr:
        if 'base_batch_size' not in cfg.get('auto_scale_lr', {}):
            raise RuntimeError(f'{cfg.filename}: --auto-scale-lr needs '
                               f'auto_scale_lr = dict(base_batch_size=...) in the config')
        cfg.auto_scale_lr.enable = True
    if resume == 'auto':
        # the newest intact checkpoint (damaged ones are skipped with a warning)
        cfg.resume, cfg.load_from = True, find_resumable_checkpoint(cfg.work_dir)
    elif resume is not None:
        cfg.resume, cfg.load_from = True, resume
    if wandb or cfg.get('wandb'):
        add_wandb_backend(cfg, **(wandb if isinstance(wandb, dict) else {}))
    set_checkpoint_trust(trust_checkpoint)
    _check_run_hooks(cfg)
    setup_distributed(cfg, launcher)
    return cfg


def build_runner(cfg: Config) -> Runner:
    if 'runner_type' in cfg:
        return RUNNERS.build(cfg)
    return Runner.from_cfg(cfg)


def format_metrics(metrics: Dict[str, float], prefix: str = 'coco/bbox_') -> str:
    """A Markdown table of the COCO box metrics (in %), ready for a paper."""
    keys = [('mAP', 'mAP'), ('mAP_50', 'AP50'), ('mAP_75', 'AP75'),
            ('mAP_s', 'AP_s'), ('mAP_m', 'AP_m'), ('mAP_l', 'AP_l')]
    cols = [(name, metrics[prefix + k]) for k, name in keys if prefix + k in metrics]
    if not cols:
        return '\n'.join(f'{k}: {v}' for k, v in metrics.items())
    head = '| ' + ' | '.join(n for n, _ in cols) + ' |'
    sep = '|' + '---|' * len(cols)
    row = '| ' + ' | '.join(f'{100 * v:.1f}' for _, v in cols) + ' |'
    return '\n'.join([head, sep, row])


def _launch_rank() -> int:
    """This process's global rank from the launcher's environment (before
    the process group exists)."""
    return int(os.environ.get('RANK', os.environ.get('SLURM_PROCID', 0)))


def train(cfg: Config) -> Dict[str, float]:
    """Train (and validate) the run described by ``cfg``; returns the metrics
    of the last validation (empty when the schedule has none).

    The work dir is locked for the run (:class:`~plb_mm.engine.WorkDirLock`,
    held by rank 0): a second training there is refused. A run that raises is
    marked ``failed`` in ``metrics.json`` with the error. Pretrained weights
    the model's ``init_cfg`` names that cannot be loaded are an error before
    anything is built (:func:`~plb_mm.engine.check_pretrained_weights`).
    """
    check_pretrained_weights(cfg)
    lock = WorkDirLock(cfg.work_dir) if _launch_rank() == 0 else contextlib.nullcontext()
    with lock:
        runner = build_runner(cfg)
        try:
            runner.train()
        except BaseException as e:
            if is_main_process():
                reason = 'interrupted' if isinstance(e, KeyboardInterrupt) else 'failed'
                update_run_metrics(cfg.work_dir, status=reason,
                                   error=f'{type(e).__name__}: {e}'[:2000])
            raise
    from ..engine import read_run_metrics
    metrics = (read_run_metrics(cfg.work_dir) or {}).get('val', {})
    if get_rank() == 0 and metrics:
        print(f'\nFinal validation of {cfg.work_dir} (epoch {metrics.get("epoch")}):\n'
              f'{format_metrics(metrics)}\n', flush=True)
    return metrics


def setup_test_cfg(cfg: Config, checkpoint: str, work_dir: Optional[str] = None,
                   launcher: str = 'none', out: Optional[str] = None,
                   trust_checkpoint: bool = False) -> Config:
    cfg.work_dir = work_dir or cfg.get('work_dir') or _default_work_dir(cfg)
    cfg.load_from = checkpoint
    if out is not None:
        cfg.test_evaluator = list(cfg.test_evaluator) if isinstance(
            cfg.test_evaluator, (list, tuple)) else [cfg.test_evaluator]
        cfg.test_evaluator.append(dict(type='DumpDetResults', out_file_path=out))
    set_checkpoint_trust(trust_checkpoint)
    _check_run_hooks(cfg)
    setup_distributed(cfg, launcher)
    return cfg


def test(cfg: Config) -> Dict[str, float]:
    """Evaluate ``cfg.load_from`` on the config's test set. A checkpoint whose
    weights do not fit the config's model (another class count, another
    architecture) is an error before inference starts."""
    runner = build_runner(cfg)
    check_checkpoint_fits(runner.model, cfg.load_from, config=cfg.filename)
    metrics = runner.test()
    if get_rank() == 0 and metrics:
        print(f'\nTest of {cfg.load_from}:\n{format_metrics(metrics)}\n', flush=True)
    return metrics
