"""Training scalars of a grid's runs on hand-made scalars.json files."""
import json

import pytest

from plb_mm.grid import load_grid
from plb_mm.grid.train_scalars import read_train_scalars, summarise_run, train_scalar_table

from ..conftest import QUICKSTART


def _log(root, variant, seed, stamp, rows):
    d = root / 'g' / variant / f'seed{seed}' / stamp / 'vis_data'
    d.mkdir(parents=True)
    (d / 'scalars.json').write_text('\n'.join(json.dumps(r) for r in rows) + '\n')


def _step(step, epoch, **kw):
    return dict(loss=1.0, step=step, epoch=epoch, **kw)


@pytest.fixture
def grid(tmp_path):
    work = tmp_path / 'work'
    # seed 0: epochs 1-3; resumed at step 20 (the second folder's step 20 wins);
    # a validation line (no loss) is not a training step
    _log(work, 'pl', 0, '20260101_000000', [
        _step(10, 1, num_pseudo=0.0), _step(20, 2, num_pseudo=9.0)])
    _log(work, 'pl', 0, '20260102_000000', [
        _step(20, 2, num_pseudo=2.0, pl_precision=0.5), {'coco/bbox_mAP': 0.3, 'step': 3},
        _step(30, 3, num_pseudo=4.0, pl_precision=1.0)])
    _log(work, 'pl', 1, '20260101_000000', [
        _step(10, 1, num_pseudo=0.0), _step(20, 2, num_pseudo=0.0), _step(30, 3, num_pseudo=0.0)])
    path = tmp_path / 'g.py'
    path.write_text(f"""
name = 'g'
baseline = 'base'
variants = dict(base='{QUICKSTART}', pl='{QUICKSTART}')
seeds = [0, 1]
metrics = ['coco/bbox_mAP']
work_root = '{work}'
""")
    return load_grid(str(path))


def test_read_and_summarise(grid):
    rows = read_train_scalars(grid.run('pl', 0).work_dir)
    assert [r['step'] for r in rows] == [10, 20, 30]
    assert rows[1]['num_pseudo'] == 2.0  # the resumed run's value
    s = summarise_run(rows, ['num_pseudo', 'pl_precision', 'pl_recall'], (2, 3))
    assert s['num_pseudo'] == 3.0 and s['num_pseudo@first'] == 2   # (2 + 4) / 2
    assert s['pl_precision'] == 0.75 and s['pl_precision@first'] == 2
    assert s['pl_recall'] is None and s['pl_recall@first'] is None  # never logged
    assert summarise_run(rows, ['num_pseudo'], (1, 1))['num_pseudo'] == 0.0


def test_table_lists_runs_without_steps(grid):
    table, runs = train_scalar_table(grid, ['num_pseudo', 'pl_precision'], (2, 3))
    lines = table.splitlines()
    assert lines[0] == ('| variant | runs | num_pseudo (epochs 2-3) | pl_precision (epochs 2-3) '
                        '| num_pseudo first > 0 (epoch, per seed) | pl_precision first > 0 '
                        '(epoch, per seed) | notes |')
    assert lines[2] == '| base | 0/2 | - | - | - | - | seed0: no logged steps; seed1: no logged steps |'
    # num_pseudo: seed0 3.0, seed1 0.0 -> 1.5 ± 2.1; pl_precision only seed 0: 0.75
    assert lines[3] == '| pl | 2/2 | 1.5 ± 2.1 | 0.75 | 2, - | 2, - |  |'
    assert [(r['variant'], r['seed'], r['last_epoch']) for r in runs] == [('pl', 0, 3), ('pl', 1, 3)]


def test_bad_line_names_file_and_line(grid, tmp_path):
    _log(tmp_path / 'work', 'base', 0, '20260101_000000', [_step(10, 1)])
    path = tmp_path / 'work' / 'g' / 'base' / 'seed0' / '20260101_000000' / 'vis_data' / 'scalars.json'
    path.write_text(path.read_text() + '{"loss": 1.0, "step": 2\n')
    with pytest.raises(ValueError, match=r'scalars\.json, line 2: not a JSON record'):
        read_train_scalars(str(path.parents[2]))
