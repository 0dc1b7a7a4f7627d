"""A run stopped during its final validation, then resumed, validates and
only then counts as finished."""
import json

import pytest
from mmengine.hooks import Hook

from plb_mm.apis import build_runner, load_config, setup_train_cfg, train
from plb_mm.engine import read_run_metrics

from ..conftest import tiny_config

ITERS = 4  # 8 training images, batch 2, one epoch


class _Killed(BaseException):
    pass


class _DieInValidation(Hook):
    """Stands for kill -9 during validation: the process ends between the
    checkpoint of the last epoch and the end of its validation."""

    def before_val_epoch(self, runner):
        raise _Killed


def test_killed_during_final_validation_then_resumed(tmp_path, synthetic_root):
    cfg_file = tiny_config(tmp_path / 'tiny.py', synthetic_root, max_epochs=1)
    work_dir = str(tmp_path / 'work')
    runner = build_runner(setup_train_cfg(load_config(cfg_file), work_dir=work_dir))
    runner.register_hook(_DieInValidation())
    with pytest.raises(_Killed):
        runner.train()
    metrics = read_run_metrics(work_dir)
    assert metrics['status'] == 'running' and 'val' not in metrics
    assert (tmp_path / 'work' / 'epoch_1.pth').is_file()

    # --resume: training is complete, so mmengine's loop would end at once
    # with no validation; the hook runs it, and only then is the run finished.
    final = train(setup_train_cfg(load_config(cfg_file), work_dir=work_dir, resume='auto'))
    metrics = read_run_metrics(work_dir)
    assert metrics['status'] == 'finished'
    assert metrics['val']['iter'] == ITERS and metrics['val']['epoch'] == 1
    assert 0.0 <= metrics['val']['coco/bbox_mAP'] <= 1.0
    assert final['coco/bbox_mAP'] == metrics['val']['coco/bbox_mAP']

    # resuming a finished run again does not validate again
    before = json.dumps(metrics['val'])
    train(setup_train_cfg(load_config(cfg_file), work_dir=work_dir, resume='auto'))
    assert json.dumps(read_run_metrics(work_dir)['val']) == before
