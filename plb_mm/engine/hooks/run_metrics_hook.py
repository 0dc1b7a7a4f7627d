import json
import os
import os.path as osp
import time
from typing import Dict, Optional

from mmengine.dist import master_only
from mmengine.hooks import Hook
from mmdet.registry import HOOKS

METRICS_FILE = 'metrics.json'


def read_run_metrics(work_dir: str) -> Optional[dict]:
    """The ``metrics.json`` of a run (see :class:`RunMetricsHook`), or None."""
    path = osp.join(work_dir, METRICS_FILE)
    if not osp.isfile(path):
        return None
    with open(path) as f:
        return json.load(f)


@HOOKS.register_module()
class RunMetricsHook(Hook):
    """Keep ``<work_dir>/metrics.json`` with a run's latest evaluation.

    The file holds ``val`` (metrics of the latest validation, with its
    ``epoch`` and ``iter``), ``test`` (of the latest test run), ``status``
    (``running`` or ``finished``, set when training ends) and ``updated``.
    Scripts that collect results read this one file instead of parsing logs.
    """

    priority = 'VERY_LOW'

    def _update(self, runner, **fields) -> None:
        path = osp.join(runner.work_dir, METRICS_FILE)
        data = read_run_metrics(runner.work_dir) or {}
        data.update(fields, updated=time.strftime('%Y-%m-%d %H:%M:%S'))
        tmp = path + '.tmp'
        with open(tmp, 'w') as f:
            json.dump(data, f, indent=1)
        os.replace(tmp, path)

    @master_only
    def before_train(self, runner) -> None:
        self._update(runner, status='running', experiment=runner.experiment_name)

    @master_only
    def after_val_epoch(self, runner, metrics: Optional[Dict[str, float]] = None) -> None:
        if metrics:
            self._update(runner, val=dict(_plain(metrics), epoch=runner.epoch, iter=runner.iter))

    @master_only
    def after_test_epoch(self, runner, metrics: Optional[Dict[str, float]] = None) -> None:
        if metrics:
            self._update(runner, test=_plain(metrics))

    @master_only
    def after_train(self, runner) -> None:
        self._update(runner, status='finished', epoch=runner.epoch, iter=runner.iter)


def _plain(metrics: Dict) -> Dict[str, float]:
    return {k: float(v) for k, v in metrics.items() if isinstance(v, (int, float)) or hasattr(v, 'item')}
