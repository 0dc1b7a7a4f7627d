"""k-fold grids (variant x fold x seed) without training: the plan, --folds,
the checks of the grid file, the runner's bookkeeping on faked runs, and the
collector on hand-made run folders with hand-computed per-fold and average
values."""
import csv
import importlib.util
import json
import os
import signal
import sys
import threading
import time

import pytest

from plb_mm.grid import (GridInterrupted, GridSpecError, Launch, collect, command,
                         format_markdown, load_grid, run_grid, run_state, slurm_script,
                         write_results)
from plb_mm.grid import runner as grid_runner

from ..conftest import QUICKSTART, REPO

FOLD_OPTIONS = {
    'train_dataloader.dataset.ann_file': 'folds/fold{fold}_train.json',
    'val_dataloader.dataset.ann_file': 'folds/fold{fold}_test.json',
    'val_evaluator.ann_file': 'data/mitos/folds/fold{fold}_test.json',
}
MAP, APS = 'coco/bbox_mAP', 'coco/bbox_mAP_s'


def _grid(tmp, variants=None, folds=(0, 1), fold_options=FOLD_OPTIONS, seeds=(0, 1),
          extra=''):
    variants = variants or dict(
        base=str(QUICKSTART),
        bde=dict(config=str(QUICKSTART), cfg_options={
            'train_cfg.max_epochs': 3,
            # the fold's option on the same key is merged after, and wins
            'val_evaluator.ann_file': 'not/this.json'}),
        ev=dict(config=str(QUICKSTART), test_of='base'))
    text = f"""
name = 'g'
baseline = 'base'
variants = {variants!r}
seeds = {list(seeds)!r}
metrics = {[MAP, APS]!r}
work_root = {str(tmp / 'work')!r}
"""
    if folds is not None:
        text += f'folds = {folds!r}\n'
    if fold_options is not None:
        text += f'fold_options = {fold_options!r}\n'
    path = tmp / 'g.py'
    path.write_text(text + extra)
    return str(path)


def _fake(spec, variant, fold, seed, val=None, test=None, status='finished', grid_status=None):
    """A run folder as a finished (or failed, ...) run leaves it."""
    wd = spec.work_dir(variant, seed, fold)
    os.makedirs(wd, exist_ok=True)
    data = dict(status=status)
    if val is not None:
        data['val'] = val
    if test is not None:
        data['test'] = test
        grid_status = grid_status or dict(status='finished')
    with open(os.path.join(wd, 'metrics.json'), 'w') as f:
        json.dump(data, f)
    if grid_status:
        with open(os.path.join(wd, 'grid_status.json'), 'w') as f:
            json.dump(grid_status, f)


def test_fold_plan_labels_work_dirs_and_options(tmp_path):
    spec = load_grid(_grid(tmp_path))
    root = str(tmp_path / 'work' / 'g')
    runs = spec.runs()
    # training variants first (variant, then fold, then seed), then evaluation-only ones
    assert [r.label for r in runs] == [
        'base fold0 seed0', 'base fold0 seed1', 'base fold1 seed0', 'base fold1 seed1',
        'bde fold0 seed0', 'bde fold0 seed1', 'bde fold1 seed0', 'bde fold1 seed1',
        'ev fold0 seed0', 'ev fold0 seed1', 'ev fold1 seed0', 'ev fold1 seed1']
    assert runs[2].work_dir == f'{root}/base/fold1/seed0'
    assert (runs[2].fold, runs[2].seed) == (1, 0)
    bde = runs[6]  # bde fold1 seed0
    assert bde.cfg_options == {
        'train_cfg.max_epochs': 3,
        'train_dataloader.dataset.ann_file': 'folds/fold1_train.json',
        'val_dataloader.dataset.ann_file': 'folds/fold1_test.json',
        'val_evaluator.ann_file': 'data/mitos/folds/fold1_test.json'}
    # the fold's options follow the seed on the command line (the variant's are in its config)
    cmd = command(spec, bde, Launch())
    i = cmd.index('--cfg-options')
    assert cmd[i + 1:] == ['randomness.seed=0',
                           'train_dataloader.dataset.ann_file=folds/fold1_train.json',
                           'val_dataloader.dataset.ann_file=folds/fold1_test.json',
                           'val_evaluator.ann_file=data/mitos/folds/fold1_test.json']
    assert cmd[1] == f'{root}/bde/config.py' and cmd[3] == bde.work_dir
    # evaluation-only: the checkpoints of the same fold and seed
    ev = runs[11]
    assert spec.source_run(ev).work_dir == f'{root}/base/fold1/seed1'
    assert command(spec, ev, Launch())[:5] == [
        'tools/test.py', str(QUICKSTART), f'{root}/base/fold1/seed1/<last checkpoint>',
        '--work-dir', f'{root}/ev/fold1/seed1']
    script = slurm_script(spec, ev, Launch(mode='slurm', partition='p'))
    assert '#SBATCH --job-name=g-ev-f1-s1' in script
    assert f'"$(cat {root}/base/fold1/seed1/last_checkpoint)"' in script
    wandb = command(spec, runs[0], Launch(wandb=True))
    assert wandb[wandb.index('--wandb-name') + 1] == 'g/base/fold0/seed0'
    assert wandb[wandb.index('--wandb-tags') + 1:] == ['base', 'fold0', 'seed0']
    # the dry run plans every run, with the fold in the header and the labels
    logs = []
    outcome = run_grid(spec, Launch(), dry_run=True, log=logs.append)
    assert list(outcome) == [r.label for r in runs]
    assert set(outcome.values()) == {'planned'}
    assert '12 runs (3 variants x 2 folds x 2 seeds), 0 already finished' in logs[0]
    assert '(7/12) bde fold1 seed0: train' in '\n'.join(logs)


def test_fold_template_with_format_spec(tmp_path):
    spec = load_grid(_grid(tmp_path, folds=[3], fold_options={'a.b': 'fold{fold:02d}.json'}))
    assert spec.runs()[0].fold_options == {'a.b': 'fold03.json'}
    assert spec.runs()[0].work_dir.endswith('/g/base/fold3/seed0')


def _main(monkeypatch, *argv):
    """tools/grid.py in this process (a new interpreter would take seconds to
    import mmdet)."""
    spec = importlib.util.spec_from_file_location('grid_tool', REPO / 'tools' / 'grid.py')
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    monkeypatch.setattr(sys, 'argv', ['tools/grid.py', *argv])
    tool.main()


def test_folds_subset(tmp_path, monkeypatch, capsys):
    grid = _grid(tmp_path, folds=[0, 1, 2, 3])
    spec = load_grid(grid, folds=[2], seeds=[1])
    assert [r.label for r in spec.runs()] == ['base fold2 seed1', 'bde fold2 seed1',
                                              'ev fold2 seed1']
    _fake(spec, 'base', 2, 1, val={MAP: 0.5, APS: 0.1})
    _main(monkeypatch, 'status', grid, '--folds', '2', '3', '--seeds', '1')
    lines = [line.split()[:4] for line in capsys.readouterr().out.splitlines()]
    assert lines == [['base', 'fold2', 'seed1', 'finished'], ['base', 'fold3', 'seed1', 'pending'],
                     ['bde', 'fold2', 'seed1', 'pending'], ['bde', 'fold3', 'seed1', 'pending'],
                     ['ev', 'fold2', 'seed1', 'pending'], ['ev', 'fold3', 'seed1', 'pending']]
    _main(monkeypatch, 'run', grid, '--dry-run', '--folds', '3', '--variants', 'base')
    out = capsys.readouterr().out
    assert '2 runs (1 variants x 1 folds x 2 seeds)' in out
    assert 'base fold3 seed0: train' in out and 'fold3_train.json' in out
    with pytest.raises(GridSpecError, match=r"--folds \[4\] not among the grid's folds "
                                            r'\[0, 1, 2, 3\]'):
        load_grid(grid, folds=[2, 4])
    with pytest.raises(GridSpecError, match='--folds must be distinct integers'):
        load_grid(grid, folds=[1, 1])
    plain = tmp_path / 'plain'
    plain.mkdir()
    with pytest.raises(GridSpecError, match=r'--folds \[0\] given, but the grid has no `folds`'):
        load_grid(_grid(plain, folds=None, fold_options=None), folds=[0])


@pytest.mark.parametrize('folds, fold_options, message', [
    ([0, 1], None, r'`folds` needs `fold_options`'),
    (None, FOLD_OPTIONS, r'`fold_options` needs `folds`'),
    ([], FOLD_OPTIONS, r'`folds` must be a non-empty list of fold ids, got \[\]'),
    ([0, '1'], FOLD_OPTIONS, r"`folds` must be distinct non-negative integers, got \[0, '1'\]"),
    ([0, 1.0], FOLD_OPTIONS, r'`folds` must be distinct non-negative integers'),
    ([0, 0], FOLD_OPTIONS, r'`folds` must be distinct non-negative integers'),
    ([-1], FOLD_OPTIONS, r'`folds` must be distinct non-negative integers'),
    ([0], {}, r'`fold_options` must be a non-empty dict'),
    ([0], {'a.b': 'folds/train.json'},
     r"fold_options\['a.b'\] = 'folds/train.json' has no \{fold\}"),
    ([0], {'a.b': 3}, r"fold_options\['a.b'\] must be a string template with \{fold\}"),
    ([0], {'a.b': '{fold}/{split}.json'},
     r"fold_options\['a.b'\] = '\{fold\}/\{split\}.json': only \{fold\} can be filled in, "
     r"not \['split'\]"),
    ([0], {'a.b': 'fold{fold'}, r"fold_options\['a.b'\] = 'fold\{fold': "),
])
def test_bad_fold_entries_are_named(tmp_path, folds, fold_options, message):
    with pytest.raises(GridSpecError, match=rf'grid file .*g\.py: {message}'):
        load_grid(_grid(tmp_path, folds=folds, fold_options=fold_options))


def test_runner_skips_waits_and_locks_per_fold(tmp_path):
    spec = load_grid(_grid(tmp_path))
    m = {MAP: 0.5, APS: 0.1}
    for seed in (0, 1):
        _fake(spec, 'base', 0, seed, val=m)
        _fake(spec, 'ev', 0, seed, test=m)
    _fake(spec, 'base', 1, 0, val=m, status='running')   # fold 1 of base has not finished
    states = {r.label: run_state(r) for r in spec.runs()}
    assert states['base fold0 seed1'] == 'finished' and states['base fold1 seed0'] == 'pending'
    assert states['ev fold0 seed0'] == 'finished' and states['ev fold1 seed0'] == 'pending'
    logs = []
    # the evaluations pair with their own fold and seed (even when `only` leaves base out)
    assert run_grid(spec, Launch(), log=logs.append, only=['ev']) == {
        'ev fold0 seed0': 'skipped', 'ev fold0 seed1': 'skipped',
        'ev fold1 seed0': 'waiting', 'ev fold1 seed1': 'waiting'}
    assert 'ev fold1 seed0: waiting, its source base fold1 seed0 has not finished' in \
        '\n'.join(logs)
    from ..test_engine.test_work_dir_lock import hold_lock
    one = load_grid(spec.source, folds=[1], seeds=[1])  # base fold1 seed1 alone
    logs = []
    with hold_lock(spec.work_dir('base', 1, 1)) as pid:
        outcome = run_grid(one, Launch(), log=logs.append, only=['base'])
    assert outcome == {'base fold1 seed1': 'busy'}
    assert f'base fold1 seed1: busy, another training runs in {spec.work_dir("base", 1, 1)}' \
        f' (process {pid}' in '\n'.join(logs)


def test_interrupted_fold_run_is_marked(tmp_path, monkeypatch):
    """SIGTERM to the grid during a fold run: the child is stopped, that
    run's fold work dir says interrupted, the grid raises GridInterrupted."""
    spec = load_grid(_grid(tmp_path), folds=[1], seeds=[0])
    child = [sys.executable, '-c', 'import time; print("started", flush=True); time.sleep(30)']
    monkeypatch.setattr(grid_runner, 'launcher_command', lambda *a, **k: child)
    wd = spec.work_dir('base', 0, 1)
    original = signal.getsignal(signal.SIGTERM)

    def stop():
        deadline = time.time() + 10
        log = os.path.join(wd, grid_runner.LOG_FILE)
        while time.time() < deadline:  # the child runs and the grid forwards signals
            if signal.getsignal(signal.SIGTERM) is not original and os.path.isfile(log) and \
                    'started' in open(log).read():
                os.kill(os.getpid(), signal.SIGTERM)
                return
            time.sleep(0.02)

    threading.Thread(target=stop, daemon=True).start()
    logs = []
    t0 = time.time()
    with pytest.raises(GridInterrupted):
        run_grid(spec, Launch(), log=logs.append, only=['base'])
    assert time.time() - t0 < 10
    assert json.load(open(os.path.join(wd, 'grid_status.json')))['status'] == 'interrupted'
    assert 'stopped by SIGTERM during base fold1 seed0' in '\n'.join(logs)


@pytest.fixture
def folded(tmp_path):
    """base, bde, ls and ev (base's checkpoints tested) over folds 0, 1 and
    seeds 0, 1, with known values; ls has a failed run and a missing fold."""
    spec = load_grid(_grid(tmp_path, variants=dict(
        base=str(QUICKSTART), bde=str(QUICKSTART), ls=str(QUICKSTART),
        ev=dict(config=str(QUICKSTART), test_of='base'))))
    known = {  # (variant, fold): ((mAP seed0, seed1), (AP_s seed0, seed1))
        ('base', 0): ((0.40, 0.44), (0.10, 0.12)),
        ('base', 1): ((0.60, 0.62), (0.20, 0.20)),
        ('bde', 0): ((0.46, 0.50), (0.14, 0.16)),
        ('bde', 1): ((0.63, 0.65), (0.24, 0.26)),
        ('ev', 0): ((0.43, 0.45), (0.10, 0.10)),
        ('ev', 1): ((0.60, 0.64), (0.10, 0.10)),
    }
    for (v, k), (maps, apss) in known.items():
        for seed in (0, 1):
            m = {MAP: maps[seed], APS: apss[seed]}
            _fake(spec, v, k, seed, **({'test': m} if v == 'ev' else {'val': m}))
    _fake(spec, 'ls', 0, 0, val={MAP: 0.30, APS: 0.05})
    _fake(spec, 'ls', 0, 1, status='running', grid_status=dict(status='failed', returncode=1))
    return spec


def test_fold_table_hand_computed(folded):
    res = {r.name: r for r in collect(folded)}
    assert res['base'].folds[0].mean(MAP) == pytest.approx(0.42)
    assert res['base'].folds[0].std(MAP) == pytest.approx(0.0282842712)    # stdev(.40, .44)
    assert res['base'].mean(MAP) == pytest.approx(0.515)                    # (.42 + .61) / 2
    assert res['bde'].mean(MAP) == pytest.approx(0.56)                      # (.48 + .64) / 2
    assert res['bde'].std(MAP) == pytest.approx(0.1131370850)              # stdev(.48, .64)
    assert res['ls'].folds_with(MAP) == [0] and res['ls'].n_finished == 1
    lines = format_markdown(folded, list(res.values())).splitlines()
    assert lines[0] == ('| variant | runs | mAP fold0 | mAP fold1 | mAP Avg | AP_s fold0 | '
                        'AP_s fold1 | AP_s Avg | notes |')
    assert lines[1] == '|' + '---|' * 9
    assert lines[2] == ('| base (baseline) | 4/4 | 42.0 ± 2.8 | 61.0 ± 1.4 | 51.5 | '
                        '11.0 ± 1.4 | 20.0 ± 0.0 | 15.5 |  |')
    # bde: mAP Avg 56.0 = 51.5 + 4.5 (+8.74 %), AP_s Avg 20.0 = 15.5 + 4.5 (+29.03 %)
    assert lines[3] == ('| bde | 4/4 | 48.0 ± 2.8 | 64.0 ± 1.4 | 56.0 (+4.5, +8.74%) | '
                        '15.0 ± 1.4 | 25.0 ± 1.4 | 20.0 (+4.5, +29.03%) |  |')
    # ls: one finished run; the average over one fold is marked and not compared
    assert lines[4] == ('| ls | 1/4 | 30.0 | - | 30.0 [1/2 folds] | 5.0 | - | 5.0 [1/2 folds] | '
                        'fold0 seed1: failed (exit 1); fold1 seed0: missing; '
                        'fold1 seed1: missing |')
    # ev reports its tests: mAP (44 + 62) / 2 = 53.0 (+1.5, +2.91 %), AP_s 10.0 (-5.5, -35.48 %)
    assert lines[5] == ('| ev | 4/4 | 44.0 ± 1.4 | 62.0 ± 2.8 | 53.0 (+1.5, +2.91%) | '
                        '10.0 ± 0.0 | 10.0 ± 0.0 | 10.0 (-5.5, -35.48%) |  |')


def test_fold_files(folded, tmp_path):
    out = write_results(folded, str(tmp_path / 'out'))
    with open(out['csv']) as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 4 * (1 + 2 + 4)  # per variant: the average, 2 folds, 2 x 2 runs
    by = {(r['variant'], r['level'], r['fold'], r['seed']): r for r in rows}
    avg = by[('bde', 'variant', '', '')]
    assert float(avg[f'{MAP}_mean']) == pytest.approx(0.56)
    assert float(avg[f'{MAP}_std']) == pytest.approx(0.1131370850)
    assert float(avg[f'{MAP}_delta']) == pytest.approx(0.045)
    assert float(avg[f'{MAP}_delta_pct']) == pytest.approx(8.7378640777)   # 4.5 / 51.5
    assert (avg['n_finished'], avg['n_runs']) == ('4', '4')
    fold = by[('bde', 'fold', '1', '')]
    assert float(fold[f'{MAP}_mean']) == pytest.approx(0.64)
    assert float(fold[f'{MAP}_std']) == pytest.approx(0.0141421356)
    assert float(by[('bde', 'run', '1', '1')][MAP]) == pytest.approx(0.65)
    failed = by[('ls', 'run', '0', '1')]
    assert failed[MAP] == '' and failed['problems'] == 'failed (exit 1)'
    assert by[('ls', 'run', '1', '0')]['problems'] == 'missing'
    ls = by[('ls', 'variant', '', '')]
    assert float(ls[f'{MAP}_mean']) == pytest.approx(0.30) and ls[f'{MAP}_delta'] == ''
    md = open(out['md']).read()
    assert 'folds [0, 1] x seeds [0, 1]' in md and 'Avg: mean of the per-fold means' in md
    assert '| bde | 4/4 | 48.0 ± 2.8 |' in md
    assert os.path.getsize(out['png']) > 1000
