import json
import os
import os.path as osp
import time
from typing import Dict, Optional

from mmengine.dist import broadcast_object_list, get_rank, is_main_process, master_only
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmdet.registry import HOOKS

METRICS_FILE = 'metrics.json'


def read_run_metrics(work_dir: str) -> Optional[dict]:
    """The ``metrics.json`` of a run (see :class:`RunMetricsHook`), or None."""
    path = osp.join(work_dir, METRICS_FILE)
    if not osp.isfile(path):
        return None
    with open(path) as f:
        return json.load(f)


def update_run_metrics(work_dir: str, **fields) -> dict:
    """Merge ``fields`` into ``<work_dir>/metrics.json`` (atomically: write,
    then rename) and return the new content."""
    os.makedirs(work_dir, exist_ok=True)
    path = osp.join(work_dir, METRICS_FILE)
    data = read_run_metrics(work_dir) or {}
    data.update(fields, updated=time.strftime('%Y-%m-%d %H:%M:%S'))
    tmp = f'{path}.{os.getpid()}.tmp'
    with open(tmp, 'w') as f:
        json.dump(data, f, indent=1)
    os.replace(tmp, path)
    return data


@HOOKS.register_module()
class RunMetricsHook(Hook):
    """Keep ``<work_dir>/metrics.json`` with a run's latest evaluation.

    The file holds ``val`` (metrics of the latest validation, with its
    ``epoch`` and ``iter``), ``test`` (of the latest test run), ``status``
    (``running``, ``finished`` or ``failed`` with an ``error``) and
    ``updated``. Scripts that collect results read this one file instead of
    parsing logs.

    A run is ``finished`` only when its final validation exists. mmengine
    validates inside its epoch loop only, so a run killed during its last
    validation and then resumed would end with no final metrics; when training
    is complete and the latest validation is not of the last iteration, this
    hook runs the missing validation before marking the run finished.
    """

    priority = 'VERY_LOW'

    @master_only
    def before_train(self, runner) -> None:
        update_run_metrics(runner.work_dir, status='running', experiment=runner.experiment_name)

    @master_only
    def after_val_epoch(self, runner, metrics: Optional[Dict[str, float]] = None) -> None:
        if metrics:
            update_run_metrics(runner.work_dir,
                               val=dict(_plain(metrics), epoch=runner.epoch, iter=runner.iter))

    @master_only
    def after_test_epoch(self, runner, metrics: Optional[Dict[str, float]] = None) -> None:
        if metrics:
            update_run_metrics(runner.work_dir, test=_plain(metrics))

    def after_train(self, runner) -> None:
        if self._final_validation_missing(runner):
            print_log(f'{runner.work_dir}: training is complete but its final validation '
                      f'(iteration {runner.iter}) is missing, e.g. the run was stopped during '
                      f'it; validating now', logger='current')
            runner.val_loop.run()
        if is_main_process():
            update_run_metrics(runner.work_dir, status='finished', epoch=runner.epoch,
                               iter=runner.iter, error=None)

    @staticmethod
    def _final_validation_missing(runner) -> bool:
        """Whether a complete training has a validation loop but no validation
        of its last iteration in ``metrics.json`` (decided on rank 0)."""
        loop = runner.train_loop
        if runner.val_loop is None or getattr(loop, 'stop_training', False) or runner.iter < loop.max_iters:
            return False
        missing = [None]
        if get_rank() == 0:
            val = (read_run_metrics(runner.work_dir) or {}).get('val') or {}
            missing[0] = val.get('iter') != runner.iter
        broadcast_object_list(missing)
        return bool(missing[0])


def _plain(metrics: Dict) -> Dict[str, float]:
    return {k: float(v) for k, v in metrics.items() if isinstance(v, (int, float)) or hasattr(v, 'item')}
