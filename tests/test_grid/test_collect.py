"""The collector on hand-made run folders with hand-computed results."""
import csv
import json
import os

import pytest

from plb_mm.grid import collect, format_markdown, load_grid, write_results

from ..conftest import QUICKSTART


def _run(root, variant, seed, status='finished', val=None, test=None, grid_status=None):
    wd = root / 'g' / variant / f'seed{seed}'
    wd.mkdir(parents=True)
    data = dict(status=status)
    if val is not None:
        data['val'] = val
    if test is not None:
        data['test'] = test
    (wd / 'metrics.json').write_text(json.dumps(data))
    if grid_status:
        (wd / 'grid_status.json').write_text(json.dumps(grid_status))


@pytest.fixture
def grid(tmp_path):
    work = tmp_path / 'work'
    m = lambda a, s: {'coco/bbox_mAP': a, 'coco/bbox_mAP_s': s}  # noqa: E731
    _run(work, 'base', 0, val=m(0.50, 0.20))
    _run(work, 'base', 1, val=m(0.52, 0.22))
    _run(work, 'plb', 0, val=m(0.55, 0.25))
    _run(work, 'plb', 1, val=m(0.57, 0.21))
    _run(work, 'half', 0, val=m(0.40, 0.10))
    _run(work, 'half', 1, status='running', val=m(0.1, 0.1))       # interrupted mid-way
    _run(work, 'bad', 0, status='running', grid_status=dict(status='failed', returncode=3))
    _run(work, 'evalonly', 0, test=m(0.60, 0.30), grid_status=dict(status='finished'))
    path = tmp_path / 'g.py'
    path.write_text(f"""
name = 'g'
baseline = 'base'
variants = dict(base='{QUICKSTART}', plb='{QUICKSTART}', half='{QUICKSTART}',
                bad='{QUICKSTART}', evalonly=dict(config='{QUICKSTART}', test_of='base'))
seeds = [0, 1]
metrics = ['coco/bbox_mAP', 'coco/bbox_mAP_s']
work_root = '{work}'
""")
    return load_grid(str(path))


def test_hand_computed_table(grid):
    res = {r.name: r for r in collect(grid)}
    assert res['base'].mean('coco/bbox_mAP') == pytest.approx(0.51)
    assert res['base'].std('coco/bbox_mAP') == pytest.approx(0.0141421356)   # stdev(0.50, 0.52)
    assert res['plb'].mean('coco/bbox_mAP_s') == pytest.approx(0.23)
    assert res['half'].per_seed.keys() == {0} and res['half'].problems == {1: 'not finished'}
    assert res['half'].std('coco/bbox_mAP') is None                          # one seed: no std
    assert res['bad'].problems == {0: 'failed (exit 3)', 1: 'missing'}
    assert res['evalonly'].per_seed[0] == {'coco/bbox_mAP': 0.60, 'coco/bbox_mAP_s': 0.30}
    lines = format_markdown(grid, list(res.values())).splitlines()
    assert lines[0] == '| variant | seeds | mAP | AP_s | notes |'
    assert lines[2] == '| base (baseline) | 2/2 | 51.0 ± 1.4 | 21.0 ± 1.4 |  |'
    # plb: mAP 56.0 (+5.0 points, +9.80 %), AP_s 23.0 ± 2.8 (+2.0, +9.52 %)
    assert lines[3] == '| plb | 2/2 | 56.0 ± 1.4 (+5.0, +9.80%) | 23.0 ± 2.8 (+2.0, +9.52%) |  |'
    assert lines[4] == '| half | 1/2 | 40.0 (-11.0, -21.57%) | 10.0 (-11.0, -52.38%) | seed1: not finished |'
    assert lines[5] == '| bad | 0/2 | - | - | seed0: failed (exit 3); seed1: missing |'
    assert lines[6].startswith('| evalonly | 1/2 | 60.0 (+9.0, +17.65%)')


def test_files(grid, tmp_path):
    out = write_results(grid, str(tmp_path / 'out'))
    with open(out['csv']) as f:
        rows = {r['variant']: r for r in csv.DictReader(f)}
    assert float(rows['plb']['coco/bbox_mAP_delta']) == pytest.approx(0.05)
    assert float(rows['plb']['coco/bbox_mAP_delta_pct']) == pytest.approx(9.8039, rel=1e-4)
    assert rows['plb']['coco/bbox_mAP_seed1'] == '0.57'
    assert rows['bad']['n_finished'] == '0' and rows['bad']['coco/bbox_mAP_mean'] == ''
    assert 'mean ± std over finished seeds' in open(out['md']).read()
    assert os.path.getsize(out['png']) > 1000


def test_prior_fills_runs_without_work_dir_only(grid, tmp_path):
    """A committed results.csv stands in for runs whose work dirs are gone;
    a work dir (finished, failed or not finished) wins over it."""
    first = write_results(grid, str(tmp_path / 'first'))['csv']
    rows = list(csv.DictReader(open(first)))
    for row in rows:
        if row['variant'] == 'bad':  # recorded earlier: seed1 0.45 / 0.15; seed0 0.99
            row.update({'coco/bbox_mAP_seed1': '0.45', 'coco/bbox_mAP_s_seed1': '0.15',
                        'coco/bbox_mAP_seed0': '0.99', 'coco/bbox_mAP_s_seed0': '0.99'})
        if row['variant'] == 'half':  # a value for the not-finished seed is not used
            row.update({'coco/bbox_mAP_seed1': '0.90', 'coco/bbox_mAP_s_seed1': '0.90'})
    prior = tmp_path / 'prior.csv'
    with open(prior, 'w', newline='') as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    import shutil
    shutil.rmtree(grid.root + '/plb')  # plb's work dirs are gone: both seeds from the prior
    out = write_results(grid, str(tmp_path / 'second'), prior=str(prior))
    res = {r['variant']: r for r in csv.DictReader(open(out['csv']))}
    assert res['plb']['n_finished'] == '2'
    assert float(res['plb']['coco/bbox_mAP_mean']) == pytest.approx(0.56)
    assert res['bad']['n_finished'] == '1' and res['bad']['problems'] == 'seed0: failed (exit 3)'
    assert float(res['bad']['coco/bbox_mAP_mean']) == pytest.approx(0.45)
    assert res['half']['n_finished'] == '1' and res['half']['problems'] == 'seed1: not finished'
    assert f'the values recorded in `{prior}`' in open(out['md']).read()
    # bad input: a variant the grid lacks, a value that is no number; named with the line
    prior.write_text('variant,coco/bbox_mAP_seed0\nbase,0.5\nnope,0.4\n')
    with pytest.raises(ValueError, match=r"prior\.csv, line 3: variant 'nope' is not in"):
        write_results(grid, str(tmp_path / 'third'), prior=str(prior))
    prior.write_text('variant,coco/bbox_mAP_seed0\nbase,abc\n')
    with pytest.raises(ValueError, match=r"line 2: coco/bbox_mAP_seed0='abc' is not a number"):
        write_results(grid, str(tmp_path / 'third'), prior=str(prior))


def test_metrics_sharing_a_short_name_keep_their_whole_key(grid):
    # 'bench/mAP' and 'bench50/mAP' would both be 'mAP'; 'coco/bbox_mAP_s' stays 'AP_s'
    grid.metrics = ['bench/mAP', 'bench50/mAP', 'coco/bbox_mAP_s']
    lines = format_markdown(grid, collect(grid)).splitlines()
    assert lines[0] == '| variant | seeds | bench/mAP | bench50/mAP | AP_s | notes |'
