"""End-to-end runs of tools/train.py, tools/test.py and tools/dist_train.sh on
the tiny synthetic set (CPU, from scratch)."""
import glob
import json
import os.path as osp

import pytest
import torch

from ..conftest import run_tool, tiny_config

ITERS_PER_EPOCH = 4  # 8 training images, batch 2


def _train_steps(work_dir):
    """The iterations logged in each scalars.json of a work dir, per run."""
    runs = []
    for path in sorted(glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json'))):
        with open(path) as f:
            rows = [json.loads(line) for line in f]
        runs.append([r['step'] for r in rows if 'loss' in r])
    return runs


@pytest.fixture(scope='module')
def one_epoch_run(tmp_path_factory, synthetic_root):
    """A run that stopped after its first epoch (checkpoint epoch_1.pth)."""
    tmp = tmp_path_factory.mktemp('stopped')
    cfg = tiny_config(tmp / 'tiny.py', synthetic_root, max_epochs=1)
    work_dir = tmp / 'work'
    proc = run_tool('tools/train.py', cfg, '--work-dir', str(work_dir))
    return cfg, work_dir, proc


def test_train_then_evaluate(one_epoch_run):
    cfg, work_dir, proc = one_epoch_run
    assert osp.isfile(work_dir / 'epoch_1.pth')
    metrics = json.loads((work_dir / 'metrics.json').read_text())
    assert metrics['status'] == 'finished' and metrics['iter'] == ITERS_PER_EPOCH
    for key in ('coco/bbox_mAP', 'coco/bbox_mAP_s', 'coco/bbox_mAP_m', 'coco/bbox_mAP_l'):
        assert 0.0 <= metrics['val'][key] <= 1.0
    assert 'Final validation of' in proc.stdout and '| mAP | AP50 |' in proc.stdout
    assert _train_steps(work_dir) == [[1, 2, 3, 4]]
    # The checkpoint is readable by the safe loader that torch uses by default.
    ckpt = torch.load(work_dir / 'epoch_1.pth', weights_only=True)
    assert ckpt['meta']['iter'] == ITERS_PER_EPOCH


class _StopBeforeTraining(Exception):
    pass


def test_resume_restores_iteration_and_optimizer(one_epoch_run):
    """Through Runner.train(): the state right before the first resumed
    iteration equals the saved state."""
    from mmengine.hooks import Hook

    from plb_mm.apis import build_runner, load_config, setup_train_cfg
    seen = {}

    class Capture(Hook):
        def before_train(self, runner):
            seen.update(iter=runner.iter, epoch=runner.epoch,
                        optim=runner.optim_wrapper.optimizer.state_dict(),
                        sched=[s.state_dict() for s in runner.param_schedulers])
            raise _StopBeforeTraining

    cfg_file, work_dir, _ = one_epoch_run
    ckpt_file = str(work_dir / 'epoch_1.pth')
    saved = torch.load(ckpt_file, weights_only=True)
    cfg = setup_train_cfg(load_config(cfg_file, dict(train_cfg=dict(max_epochs=2))),
                          work_dir=str(work_dir.parent / 'resume_py'), resume=ckpt_file)
    runner = build_runner(cfg)
    runner.register_hook(Capture())
    with pytest.raises(_StopBeforeTraining):
        runner.train()
    assert seen['iter'] == ITERS_PER_EPOCH and seen['epoch'] == 1
    state, saved_state = seen['optim']['state'], saved['optimizer']['state']
    assert len(state) == len(saved_state) > 0
    for k, v in saved_state.items():
        assert torch.equal(state[k]['momentum_buffer'], v['momentum_buffer'])
    assert seen['optim']['param_groups'][0]['lr'] == saved['optimizer']['param_groups'][0]['lr']
    assert [s['last_step'] for s in seen['sched']] == \
        [s['last_step'] for s in saved['param_schedulers']] == [ITERS_PER_EPOCH, 1]


def test_stopped_run_resumes_from_saved_iteration(one_epoch_run, tmp_path):
    """Also: the newest checkpoint is damaged (a crash while it was written,
    before saves were atomic): --resume warns, naming it, and resumes from the
    previous intact one."""
    cfg, work_dir, _ = one_epoch_run
    resumed = tmp_path / 'work'
    import shutil
    shutil.copytree(work_dir, resumed)
    data = (resumed / 'epoch_1.pth').read_bytes()
    (resumed / 'epoch_2.pth').write_bytes(data[:len(data) // 2])
    (resumed / 'last_checkpoint').write_text(str(resumed / 'epoch_2.pth'))
    proc = run_tool('tools/train.py', cfg, '--work-dir', str(resumed), '--resume',
                    '--cfg-options', 'train_cfg.max_epochs=2')
    log = proc.stdout + proc.stderr
    assert f'{resumed / "epoch_2.pth"}: skipped for --resume, the file is damaged' in log
    assert 'resumed epoch: 1, iter: 4' in log
    steps = _train_steps(resumed)
    assert steps[0] == [1, 2, 3, 4] and steps[-1] == [5, 6, 7, 8]
    assert json.loads((resumed / 'metrics.json').read_text())['iter'] == 2 * ITERS_PER_EPOCH


def test_test_tool_evaluates_checkpoint(one_epoch_run, tmp_path):
    cfg, work_dir, _ = one_epoch_run
    out = tmp_path / 'preds.pkl'
    proc = run_tool('tools/test.py', cfg, str(work_dir / 'epoch_1.pth'), '--work-dir',
                    str(tmp_path / 'test'), '--out', str(out))
    assert 'Test of' in proc.stdout and '| mAP |' in proc.stdout
    assert out.is_file() and out.stat().st_size > 0
    metrics = json.loads((tmp_path / 'test' / 'metrics.json').read_text())
    assert 'coco/bbox_mAP' in metrics['test']


def test_dist_train_two_cpu_processes(synthetic_root, tmp_path):
    cfg = tiny_config(tmp_path / 'tiny.py', synthetic_root, max_epochs=1)
    work_dir = tmp_path / 'work'
    proc = run_tool('tools/dist_train.sh', cfg, '2', '--work-dir', str(work_dir),
                    env=dict(PORT='29517'))
    log = proc.stdout + proc.stderr
    assert 'Distributed training: True' in log and 'GPU number: 2' in log
    # 8 images over 2 ranks of batch 2: 2 iterations per epoch on each rank.
    assert _train_steps(work_dir) == [[1, 2]]
    assert json.loads((work_dir / 'metrics.json').read_text())['status'] == 'finished'


def test_wandb_with_a_key_and_no_network_trains_offline(synthetic_root, tmp_path):
    """A (fake) key makes the run try to log online; the W&B server cannot be
    reached (WANDB_BASE_URL points at a closed local port): one warning, the
    run logs offline and trains to the end."""
    import socket
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        closed_port = s.getsockname()[1]
    cfg = tiny_config(tmp_path / 'tiny.py', synthetic_root, max_epochs=1)
    work_dir = tmp_path / 'work'
    proc = run_tool('tools/train.py', cfg, '--work-dir', str(work_dir), '--wandb',
                    '--wandb-project', 'plb_mm_tests', '--wandb-group', 'g1',
                    env=dict(WANDB_API_KEY='0123456789abcdef' * 2 + 'deadbeef', WANDB_MODE=None,
                             WANDB_BASE_URL=f'http://127.0.0.1:{closed_port}',
                             HOME=str(tmp_path)))
    log = proc.stdout + proc.stderr
    assert 'W&B: the server (http://127.0.0.1:' in log and 'logging offline' in log
    assert json.loads((work_dir / 'metrics.json').read_text())['status'] == 'finished'
    runs = glob.glob(str(work_dir / '*' / 'vis_data' / 'wandb' / 'offline-run-*'))
    assert len(runs) == 1 and glob.glob(osp.join(runs[0], '*.wandb'))


def test_test_tool_refuses_a_checkpoint_of_another_class_count(one_epoch_run, tmp_path):
    cfg, work_dir, _ = one_epoch_run
    proc = run_tool('tools/test.py', cfg, str(work_dir / 'epoch_1.pth'), '--work-dir',
                    str(tmp_path / 'test'), '--cfg-options',
                    'model.roi_head.bbox_head.num_classes=4', check=False)
    assert proc.returncode != 0
    assert 'the checkpoint does not fit the model' in proc.stderr
    assert 'roi_head.bbox_head.fc_cls.weight: (4, ' in proc.stderr  # 3 classes + background
    assert 'another number of classes' in proc.stderr
    assert 'Epoch(test)' not in proc.stdout + proc.stderr          # refused before inference


def test_train_refuses_a_work_dir_in_use(synthetic_root, tmp_path):
    from ..test_engine.test_work_dir_lock import hold_lock
    cfg = tiny_config(tmp_path / 'tiny.py', synthetic_root, max_epochs=1)
    work_dir = tmp_path / 'work'
    with hold_lock(str(work_dir)) as pid:
        proc = run_tool('tools/train.py', cfg, '--work-dir', str(work_dir), check=False)
    assert proc.returncode != 0
    assert 'another training runs in this work dir' in proc.stderr and f'process {pid}' in proc.stderr
    assert not glob.glob(str(work_dir / '*.pth'))


def test_dist_test_two_cpu_processes(one_epoch_run, tmp_path):
    cfg, work_dir, _ = one_epoch_run
    proc = run_tool('tools/dist_test.sh', cfg, str(work_dir / 'epoch_1.pth'), '2',
                    '--work-dir', str(tmp_path / 'test'), env=dict(PORT='29523'))
    log = proc.stdout + proc.stderr
    assert 'Distributed launcher: pytorch' in log and 'GPU number: 2' in log
    assert 'Test of' in log
    metrics = json.loads((tmp_path / 'test' / 'metrics.json').read_text())
    assert 'coco/bbox_mAP' in metrics['test']


def test_mmdet_style_runner_gives_the_same_outputs(one_epoch_run, tmp_path):
    """What mmdet's own tools/train.py does (Config.fromfile, work_dir,
    Runner.from_cfg, train) writes what plb_mm's tool writes: the hooks are in
    the config, not added by the tool."""
    from mmengine.config import Config
    from mmengine.runner import Runner
    cfg_file, plb_dir, _ = one_epoch_run
    cfg = Config.fromfile(cfg_file)
    cfg.work_dir = str(tmp_path / 'mmdet')
    Runner.from_cfg(cfg).train()
    ours = json.loads((plb_dir / 'metrics.json').read_text())
    theirs = json.loads((tmp_path / 'mmdet' / 'metrics.json').read_text())
    assert theirs['status'] == ours['status'] == 'finished'
    assert theirs['iter'] == ours['iter'] == ITERS_PER_EPOCH
    assert set(theirs['val']) == set(ours['val'])
    ckpt = torch.load(tmp_path / 'mmdet' / 'epoch_1.pth', weights_only=True)  # safe loader
    assert ckpt['meta']['iter'] == ITERS_PER_EPOCH
