"""Grids end to end on CPU with a tiny config: run, skip, resume after a kill,
a crashing run, the distributed and Slurm modes, collection, plot, W&B."""
import csv
import glob
import json
import os
import signal
import statistics
import subprocess
import sys
import time

import pytest

from plb_mm.engine import read_run_metrics
from plb_mm.grid import (GridSpecError, Launch, collect, command, load_grid, run_grid,
                         run_state, slurm_script, write_results)

from ..conftest import QUICKSTART, REPO, run_tool, tiny_config

METRICS = ['coco/bbox_mAP', 'coco/bbox_mAP_s', 'coco/bbox_mAP_m', 'coco/bbox_mAP_l']


def _grid(tmp, cfg, variants, seeds=(0, 1), name='g', extra=''):
    path = tmp / f'{name}.py'
    path.write_text(f"""
name = {name!r}
baseline = 'base'
variants = {variants!r}
seeds = {list(seeds)!r}
metrics = {METRICS!r}
work_root = {str(tmp / 'work')!r}
{extra}
""")
    return str(path)


@pytest.fixture(scope='module')
def two_by_two(tmp_path_factory, synthetic_root):
    """base and plb1c (base + override dict) x seeds 0, 1, plus a variant whose
    every run crashes at start (a bad weighter option)."""
    tmp = tmp_path_factory.mktemp('grid')
    cfg = tiny_config(tmp / 'tiny.py', synthetic_root, max_epochs=1)
    variants = dict(
        base=cfg,
        plb1c=dict(config=cfg, cfg_options={
            'model.rpn_head.type': 'BoxWeightedRPNHead',
            'model.rpn_head.loss_weighters': dict(cls=[dict(type='PLBWeighter')])}),
        broken=dict(config=cfg, cfg_options={
            'model.rpn_head.type': 'BoxWeightedRPNHead',
            'model.rpn_head.loss_weighters': dict(cls=[dict(type='PLBWeighter', box_source='bogus')])}),
        # evaluation only: base's checkpoints tested with CL-balanced NMS
        clnms=dict(config=cfg, test_of='base',
                   cfg_options={'model.test_cfg.rcnn.nms.type': 'cl_balanced_nms'}),
    )
    grid = _grid(tmp, cfg, variants)
    logs = []
    outcome = run_grid(load_grid(grid), Launch(), log=logs.append)
    return grid, outcome, logs


def test_grid_runs_collects_and_reports_failures(two_by_two):
    grid, outcome, logs = two_by_two
    spec = load_grid(grid)
    assert outcome == {'base seed0': 'finished', 'base seed1': 'finished',
                       'plb1c seed0': 'finished', 'plb1c seed1': 'finished',
                       'broken seed0': 'failed', 'broken seed1': 'failed',
                       'clnms seed0': 'finished', 'clnms seed1': 'finished'}
    text = '\n'.join(logs)
    assert '(1/8) base seed0: train' in text and 'elapsed' in text and 'left ~' in text
    assert '(7/8) clnms seed0: test' in text and 'tools/test.py' in text
    assert 'broken seed1 FAILED (exit 1)' in text
    # the override was applied (PLB in the dumped config of the variant)
    assert "PLBWeighter" in open(os.path.join(spec.root, 'plb1c', 'config.py')).read()

    # The runs' metrics are ~0 after one epoch from scratch: to check the
    # arithmetic, give the finished runs known values, then collect.
    known = {('base', 0): 0.30, ('base', 1): 0.34, ('plb1c', 0): 0.36, ('plb1c', 1): 0.42}
    for (v, s), value in known.items():
        path = os.path.join(spec.work_dir(v, s), 'metrics.json')
        data = json.load(open(path))
        data['val'].update({k: value for k in METRICS})
        json.dump(data, open(path, 'w'))
    out = write_results(spec)
    results = {r.name: r for r in collect(spec)}
    m = 'coco/bbox_mAP'
    assert results['base'].mean(m) == pytest.approx(0.32)
    assert results['plb1c'].mean(m) == pytest.approx(0.39)
    assert results['base'].std(m) == pytest.approx(0.0282842712)     # stdev(0.30, 0.34)
    assert results['plb1c'].std(m) == pytest.approx(0.0424264069)    # stdev(0.36, 0.42)
    with open(out['csv']) as f:
        rows = {r['variant']: r for r in csv.DictReader(f)}
    assert float(rows['plb1c'][f'{m}_delta']) == pytest.approx(0.07)
    assert float(rows['plb1c'][f'{m}_delta_pct']) == pytest.approx(21.875)  # 0.07 / 0.32
    assert float(rows['plb1c'][f'{m}_seed1']) == pytest.approx(0.42)
    md = open(out['md']).read()
    assert '| plb1c | 2/2 | 39.0 ± 4.2 (+7.0, +21.88%) |' in md
    # the failed variant is in the table, marked, with no numbers
    assert rows['broken']['n_finished'] == '0'
    assert 'seed0: failed (exit 1)' in rows['broken']['problems']
    assert '| broken | 0/2 | - | - | - | - | seed0: failed (exit 1); seed1: failed (exit 1) |' in md
    # the evaluation-only variant reports its test metrics on base's checkpoints
    assert results['clnms'].per_seed[0]['coco/bbox_mAP'] == \
        read_run_metrics(spec.work_dir('clnms', 0))['test']['coco/bbox_mAP']
    assert os.path.getsize(out['png']) > 1000
    with open(out['png'], 'rb') as f:
        assert f.read(8) == b'\x89PNG\r\n\x1a\n'


def test_rerun_skips_finished_runs(two_by_two):
    grid, _, _ = two_by_two
    spec = load_grid(grid)
    before = os.path.getmtime(os.path.join(spec.work_dir('base', 0), 'metrics.json'))
    logs = []
    outcome = run_grid(spec, Launch(), log=logs.append)
    assert [outcome[f'{v} seed{s}'] for v in ('base', 'plb1c', 'clnms')
            for s in (0, 1)] == ['skipped'] * 6
    assert os.path.getmtime(os.path.join(spec.work_dir('base', 0), 'metrics.json')) == before
    assert outcome['broken seed0'] == 'failed'  # failed runs are retried, and fail again


def test_killed_run_resumes(synthetic_root, tmp_path):
    cfg = tiny_config(tmp_path / 'tiny.py', synthetic_root, max_epochs=2)
    grid = _grid(tmp_path, cfg, dict(base=cfg), seeds=[0], name='k')
    wd = tmp_path / 'work' / 'k' / 'base' / 'seed0'
    proc = subprocess.Popen([sys.executable, 'tools/grid.py', 'run', grid, '--quiet'], cwd=REPO,
                            start_new_session=True, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.time() + 600
    while not (wd / 'epoch_1.pth').exists() and time.time() < deadline:
        time.sleep(0.5)
    time.sleep(1.0)  # let the checkpoint and last_checkpoint be written
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    # the training child leads its own process group; it gets SIGTERM from
    # the kernel when the grid dies and releases the work dir as it ends
    from plb_mm.engine import work_dir_holder
    deadline = time.time() + 60
    while work_dir_holder(str(wd)) and time.time() < deadline:
        time.sleep(0.5)
    spec = load_grid(grid)
    assert run_state(spec.runs()[0]) == 'interrupted'
    logs = []
    assert run_grid(spec, Launch(), log=logs.append) == {'base seed0': 'finished'}
    assert any('base seed0: resume' in line for line in logs)
    log = (wd / 'grid_run.log').read_text()
    assert 'resumed epoch: 1, iter: 4' in log
    assert read_run_metrics(str(wd))['iter'] == 8


def test_dist_mode_launches_dist_train(synthetic_root, tmp_path):
    cfg = tiny_config(tmp_path / 'tiny.py', synthetic_root, max_epochs=1)
    grid = _grid(tmp_path, cfg, dict(base=cfg), seeds=[0], name='d')
    proc = run_tool('tools/grid.py', 'run', grid, '--launcher', 'dist', '--gpus', '2',
                    env=dict(PORT='29519'))
    assert 'bash tools/dist_train.sh' in proc.stdout and f'{cfg} 2 --work-dir' in proc.stdout
    wd = tmp_path / 'work' / 'd' / 'base' / 'seed0'
    log = (wd / 'grid_run.log').read_text()
    assert 'Distributed training: True' in log and 'GPU number: 2' in log
    assert '| base (baseline) | 1/1 |' in proc.stdout


def test_slurm_mode_prints_sbatch_scripts(tmp_path):
    cfg = str(REPO / 'configs/quickstart/faster-rcnn_r18_fpn_tiny_12e_synthetic-cells.py')
    grid = _grid(tmp_path, cfg, dict(base=cfg, other=cfg), seeds=[3], name='s')
    proc = run_tool('tools/grid.py', 'run', grid, '--launcher', 'slurm', '--partition', 'gpu-a100',
                    '--gpus', '16', '--gpus-per-node', '8')
    wd = tmp_path / 'work' / 's' / 'base' / 'seed3'
    assert f'sbatch {wd}/slurm_job.sh' in proc.stdout
    script = (wd / 'slurm_job.sh').read_text()
    for line in ('#SBATCH --partition=gpu-a100', '#SBATCH --nodes=2', '#SBATCH --ntasks=16',
                 '#SBATCH --ntasks-per-node=8', '#SBATCH --gres=gpu:8', '#SBATCH --job-name=s-base-s3'):
        assert line in script
    srun = [line for line in script.splitlines() if line.startswith('srun ')][0]
    assert srun.endswith(f'tools/train.py {cfg} --work-dir {wd} --launcher slurm '
                         f'--cfg-options randomness.seed=3')
    # fewer GPUs than a node: one node, that many tasks
    spec = load_grid(grid)
    ev = _grid(tmp_path, cfg, dict(base=cfg, ev=dict(config=cfg, test_of='base')), seeds=[3],
               name='s2')
    spec2 = load_grid(ev)
    script2 = slurm_script(spec2, spec2.runs()[1], Launch(mode='slurm', gpus=1, partition='p'))
    src = spec2.work_dir('base', 3)
    assert f'tools/test.py {cfg} "$(cat {src}/last_checkpoint)" --work-dir' in script2
    small = slurm_script(spec, spec.runs()[0], Launch(mode='slurm', gpus=2, partition='p'))
    assert '#SBATCH --nodes=1' in small and '#SBATCH --ntasks-per-node=2' in small


def test_wandb_runs_share_the_grid_group(synthetic_root, tmp_path):
    cfg = tiny_config(tmp_path / 'tiny.py', synthetic_root, max_epochs=1,
                      extra='train_cfg = dict(max_epochs=1, val_interval=100)')
    group = 'plbgridgroup7f3a'
    grid = _grid(tmp_path, cfg, dict(base=cfg), seeds=[0, 1], name=group)
    run_tool('tools/grid.py', 'run', grid, '--wandb', '--quiet',
             env=dict(WANDB_API_KEY=None, WANDB_MODE=None, HOME=str(tmp_path)))
    files = glob.glob(str(tmp_path / 'work' / group / 'base' / 'seed*' / '*' / 'vis_data' /
                          'wandb' / 'offline-run-*' / '*.wandb'))
    assert len(files) == 2
    for f in files:
        data = open(f, 'rb').read()
        assert group.encode() in data                      # the run's group
        seed = f.split('/seed')[1][0]
        assert f'seed{seed}'.encode() in data and b'base' in data   # tags


def test_bad_grid_files_name_the_entry(tmp_path):
    cfg = str(REPO / 'configs/quickstart/faster-rcnn_r18_fpn_tiny_12e_synthetic-cells.py')
    with pytest.raises(GridSpecError, match=r"baseline 'base' is not among the variants"):
        load_grid(_grid(tmp_path, cfg, dict(other=cfg)))
    with pytest.raises(GridSpecError, match=r"variant 'x': config nope.py not found"):
        load_grid(_grid(tmp_path, cfg, dict(base=cfg, x='nope.py')))
    with pytest.raises(GridSpecError, match=r"test_of 'zzz' must name a training variant"):
        load_grid(_grid(tmp_path, cfg, dict(base=cfg, t=dict(config=cfg, test_of='zzz'))))
    with pytest.raises(GridSpecError, match='seeds'):
        load_grid(_grid(tmp_path, cfg, dict(base=cfg), seeds=[]))


def test_seeds_override(tmp_path):
    cfg = str(REPO / 'configs/quickstart/faster-rcnn_r18_fpn_tiny_12e_synthetic-cells.py')
    grid = _grid(tmp_path, cfg, dict(base=cfg, other=cfg), seeds=[0, 1, 2], name='so')
    assert [r.seed for r in load_grid(grid, seeds=[1]).runs()] == [1, 1]
    with pytest.raises(GridSpecError, match=r'distinct integers, got \[1, 1\]'):
        load_grid(grid, seeds=[1, 1])
    out = run_tool('tools/grid.py', 'status', grid, '--seeds', '2', '5').stdout
    assert [line.split()[:3] for line in out.splitlines()] == [
        ['base', 'seed2', 'pending'], ['base', 'seed5', 'pending'],
        ['other', 'seed2', 'pending'], ['other', 'seed5', 'pending']]
    out = run_tool('tools/grid.py', 'run', grid, '--dry-run', '--seeds', '1').stdout
    assert '2 runs (2 variants x 1 seeds)' in out


def test_progress_lines_are_short_and_keep_their_beginning():
    from plb_mm.grid import progress_line
    train = ('11/25 10:00:00 - mmengine - INFO - Epoch(train)  [3][ 10/40]  base_lr: 2.0000e-02 '
             'lr: 2.0000e-02  eta: 0:01:23  time: 1.2345  data_time: 0.0123  memory: 0  '
             'loss: 1.2345  loss_rpn_cls: 0.6931  loss_rpn_bbox: 0.1000  loss_cls: 0.3000  '
             'acc: 97.0000  loss_bbox: 0.1414')
    assert progress_line(train) == 'epoch 3 [10/40] loss 1.2345 eta 0:01:23'
    val = ('11/25 10:00:09 - mmengine - INFO - Epoch(val) [3][4/4]    coco/bbox_mAP: 0.4510  '
           'coco/bbox_mAP_50: 0.8000  coco/bbox_mAP_75: 0.4000  coco/bbox_mAP_s: 0.1000  '
           'coco/bbox_mAP_m: 0.5000  coco/bbox_mAP_l: 0.6000  data_time: 0.0100  time: 0.2000')
    assert progress_line(val) == 'val epoch 3: mAP 45.1 AP50 80.0 AP_s 10.0 AP_m 50.0 AP_l 60.0'
    assert progress_line('... - INFO - Epoch(val)  [3][ 50/100]    eta: 0:00:10  time: 0.1') == \
        'val epoch 3 [50/100] eta 0:00:10'
    assert progress_line('... INFO - Iter(train) [ 120/1000]  lr: 1e-2  eta: 1:02:03  '
                         'loss: 0.5000') == 'iter [120/1000] loss 0.5000 eta 1:02:03'
    err = 'plb_mm.engine.hooks.divergence_hook.TrainingDivergedError: ' + 'x' * 300
    assert progress_line(err) == err[:200]            # errors keep their beginning
    assert progress_line('loading annotations into memory...') is None


def test_grid_log_is_appended_not_overwritten(tmp_path):
    from plb_mm.grid.runner import LOG_FILE, _execute
    from plb_mm.grid.spec import Run, Variant
    run = Run(Variant('v', 'cfg.py'), 0, str(tmp_path / 'wd'))
    for word in ('first', 'second'):
        rc, sig = _execute([sys.executable, '-c', f'print("{word}")'], run, False, print)
        assert (rc, sig) == (0, None)
    text = (tmp_path / 'wd' / LOG_FILE).read_text()
    assert 'first' in text and 'second' in text and text.count('=====') == 2


def test_run_whose_work_dir_is_in_use_is_skipped(tmp_path):
    from ..test_engine.test_work_dir_lock import hold_lock
    grid = _grid(tmp_path, None, dict(base=str(REPO / 'configs/quickstart/'
                                                 'faster-rcnn_r18_fpn_tiny_12e_synthetic-cells.py')),
                 seeds=(0, ))
    spec = load_grid(grid)
    logs = []
    with hold_lock(spec.work_dir('base', 0)) as pid:
        outcome = run_grid(spec, Launch(), log=logs.append)
    assert outcome == {'base seed0': 'busy'}
    assert 'base seed0: busy, another training runs in' in '\n'.join(logs)
    assert f'process {pid}' in '\n'.join(logs)


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie still answers kill(0): look at its state
        with open(f'/proc/{pid}/stat') as f:
            return f.read().split(')')[-1].split()[0] != 'Z'
    except FileNotFoundError:
        return False


@pytest.mark.parametrize('sig', [signal.SIGTERM, signal.SIGKILL])
def test_stopping_the_grid_stops_its_training(synthetic_root, tmp_path, sig):
    """SIGTERM to the grid alone: the training child is stopped first, the run
    is marked interrupted, the grid exits 128+15. SIGKILL (uncatchable): the
    child still dies (it asked the kernel for SIGTERM on its parent's death)."""
    cfg = tiny_config(tmp_path / 'tiny.py', synthetic_root, max_epochs=50)
    grid = _grid(tmp_path, cfg, dict(base=cfg), seeds=(0, ))
    spec = load_grid(grid)
    wd = spec.work_dir('base', 0)
    proc = subprocess.Popen([sys.executable, 'tools/grid.py', 'run', grid], cwd=REPO,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    log = os.path.join(wd, 'grid_run.log')
    deadline = time.time() + 240
    while time.time() < deadline:  # wait until the child trains
        if os.path.isfile(log) and 'Epoch(train)' in open(log).read():
            break
        time.sleep(0.5)
    else:
        proc.kill()
        pytest.fail('the training did not start')
    child = json.load(open(os.path.join(wd, '.train.lock')))['pid']
    assert _pid_alive(child)
    proc.send_signal(sig)
    rc = proc.wait(timeout=120)
    deadline = time.time() + 60
    while _pid_alive(child) and time.time() < deadline:
        time.sleep(0.5)
    assert not _pid_alive(child), 'the training outlived its grid'
    if sig == signal.SIGTERM:
        assert rc == 128 + signal.SIGTERM
        assert json.load(open(os.path.join(wd, 'grid_status.json')))['status'] == 'interrupted'
    else:
        assert rc == -signal.SIGKILL


def test_run_only_some_variants(tmp_path):
    q = str(REPO / 'configs/quickstart/faster-rcnn_r18_fpn_tiny_12e_synthetic-cells.py')
    spec = load_grid(_grid(tmp_path, None, dict(base=q, a=q, b=q), seeds=(0, 1)))
    logs = []
    outcome = run_grid(spec, Launch(), dry_run=True, log=logs.append, only=['a'])
    assert outcome == {'a seed0': 'planned', 'a seed1': 'planned'}
    assert '2 runs' in logs[0]
    with pytest.raises(ValueError, match=r"no variant\(s\) \['c'\]; the grid has \['base', 'a', 'b'\]"):
        run_grid(spec, Launch(), dry_run=True, log=logs.append, only=['c'])


def test_variant_dump_follows_an_edited_grid(tmp_path):
    """A variant's merged config is rewritten when the grid's overrides change
    (and left alone when they do not), so no run uses a stale dump."""
    def plan(epochs):
        grid = tmp_path / 'g.py'
        grid.write_text(f"""
name = 'g'
baseline = 'v'
variants = dict(v=dict(config={str(QUICKSTART)!r}, cfg_options={{'train_cfg.max_epochs': {epochs}}}))
seeds = [0]
metrics = ['coco/bbox_mAP']
work_root = {str(tmp_path / 'work')!r}
""")
        spec = load_grid(str(grid))
        path = command(spec, spec.runs()[0], Launch())[1]
        return path, open(path).read()

    path, text = plan(3)
    assert "max_epochs=3" in text.replace(' ', '')
    mtime = os.stat(path).st_mtime_ns
    assert plan(3) == (path, text) and os.stat(path).st_mtime_ns == mtime
    path, text = plan(5)
    assert "max_epochs=5" in text.replace(' ', '') and "max_epochs=3" not in text.replace(' ', '')


def test_variant_options_with_delete_survive_every_run(tmp_path):
    """mmengine pops `_delete_` from the dict it merges: the runner merges a
    copy, so the second seed's dump is the first's."""
    grid = tmp_path / 'g.py'
    grid.write_text(f"""
name = 'g'
baseline = 'v'
variants = dict(v=dict(config={str(QUICKSTART)!r}, cfg_options={{
    'optim_wrapper.optimizer': dict(_delete_=True, type='Adam', lr=1e-4)}}))
seeds = [0, 1]
metrics = ['coco/bbox_mAP']
work_root = {str(tmp_path / 'work')!r}
""")
    spec = load_grid(str(grid))
    texts = [open(command(spec, run, Launch())[1]).read() for run in spec.runs()]
    assert texts[0] == texts[1] and "type='Adam'" in texts[0] and 'momentum' not in texts[0]
    assert '_delete_' in str(spec.variants['v'].cfg_options)
