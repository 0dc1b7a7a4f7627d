"""Collecting a grid: every run's final evaluation from its work dir into one
table (Markdown + CSV: mean +- std over seeds, change vs the baseline in
points and in percent, as the PLB paper prints it) and a grouped bar plot.

k-fold grids: per metric, each fold's mean (± std) over its seeds, then Avg,
the mean of the per-fold means with the change vs the baseline, as the BDE
paper's Tables 1-2 print Fold1..Fold4 and Avg; the CSV also has one row per
variant x fold x seed; the plot shows the mean ± std over the fold means."""
import csv
import os
import os.path as osp
import statistics
from dataclasses import dataclass, field
from typing import Dict, List, Optional

from ..engine.hooks import read_run_metrics
from .runner import read_status, run_state
from .spec import GridSpec


@dataclass
class VariantResult:
    name: str
    per_seed: Dict[int, Dict[str, float]] = field(default_factory=dict)  # finished seeds
    problems: Dict[int, str] = field(default_factory=dict)  # seed -> failed/missing/running
    # k-fold grids: fold id -> that fold's seeds (per_seed and problems stay empty)
    folds: Dict[int, 'VariantResult'] = field(default_factory=dict)

    def values(self, metric: str) -> List[float]:
        """The seeds' values; k-fold grids: the per-fold means (of the folds
        that have one), so that ``mean`` is the mean over folds of the
        per-fold means and ``std`` their spread across folds."""
        if self.folds:
            return [f.mean(metric) for f in self.folds.values() if f.mean(metric) is not None]
        return [m[metric] for m in self.per_seed.values() if metric in m]

    def folds_with(self, metric: str) -> List[int]:
        """The folds that have a value of ``metric`` (k-fold grids)."""
        return [k for k, f in self.folds.items() if f.mean(metric) is not None]

    @property
    def n_finished(self) -> int:
        if self.folds:
            return sum(f.n_finished for f in self.folds.values())
        return len(self.per_seed)

    def problem_list(self) -> List[str]:
        """``seed1: missing`` (k-fold grids: ``fold2 seed1: missing``)."""
        if self.folds:
            return [f'fold{k} {p}' for k, f in self.folds.items() for p in f.problem_list()]
        return [f'seed{s}: {why}' for s, why in sorted(self.problems.items())]

    def mean(self, metric: str) -> Optional[float]:
        v = self.values(metric)
        return statistics.fmean(v) if v else None

    def std(self, metric: str) -> Optional[float]:
        v = self.values(metric)
        return statistics.stdev(v) if len(v) > 1 else None


Prior = Dict[str, Dict[int, Dict[str, float]]]  # variant -> seed -> metric -> value


def read_prior(spec: GridSpec, path: str) -> Prior:
    """The per-seed values of a ``results.csv`` that an earlier ``collect``
    of this grid wrote (columns ``<metric>_seed<s>``, unscaled), e.g. one
    committed beside a paper's table, for runs whose work dirs are gone. A
    file of another layout, or a variant the grid does not have, is an error
    naming the file and the line."""
    if spec.folds is not None:
        raise ValueError(f'{path}: a prior results.csv is read for grids without folds only')
    prior: Prior = {}
    with open(path, newline='') as f:
        reader = csv.DictReader(f)
        if not reader.fieldnames or 'variant' not in reader.fieldnames:
            raise ValueError(f'{path}: not a results.csv of tools/grid.py collect '
                             f'(no "variant" column)')
        for line, row in enumerate(reader, start=2):
            name = row['variant']
            if name not in spec.variants:
                raise ValueError(f'{path}, line {line}: variant {name!r} is not in the grid '
                                 f'{spec.source} ({", ".join(spec.variants)})')
            for key, value in row.items():
                m, sep, seed = (key or '').rpartition('_seed')
                if not sep or m not in spec.metrics or not seed.isdigit() or value in ('', None):
                    continue
                try:
                    prior.setdefault(name, {}).setdefault(int(seed), {})[m] = float(value)
                except ValueError:
                    raise ValueError(f'{path}, line {line}: {key}={value!r} is not a '
                                     f'number') from None
    return prior


def collect(spec: GridSpec, prior: Optional[Prior] = None) -> List[VariantResult]:
    """One :class:`VariantResult` per variant, in grid order. A run counts when
    finished; failed, running and missing runs are listed as problems, never
    silently dropped. Training variants report their last validation,
    evaluation-only variants their test. k-fold grids: one result per fold
    under ``folds``.

    ``prior`` (:func:`read_prior`) fills in runs that have no work dir at all
    with the values recorded earlier; a work dir, finished or not, wins.
    """
    results = []
    for v in spec.variants.values():
        if spec.folds is None:
            res = _collect_seeds(spec, v.name)
            for seed, values in (prior or {}).get(v.name, {}).items():
                if res.problems.get(seed) == 'missing' and all(m in values for m in spec.metrics):
                    res.per_seed[seed] = {m: values[m] for m in spec.metrics}
                    del res.problems[seed]
            results.append(res)
        else:
            res = VariantResult(v.name)
            res.folds = {k: _collect_seeds(spec, v.name, k) for k in spec.folds}
            results.append(res)
    return results


def _collect_seeds(spec: GridSpec, variant: str, fold: Optional[int] = None) -> VariantResult:
    """The seeds of one variant (of one fold)."""
    v = spec.variants[variant]
    res = VariantResult(v.name)
    for seed in spec.seeds:
        run = spec.run(v.name, seed, fold)
        wd = run.work_dir
        metrics = read_run_metrics(wd) or {}
        state = run_state(run)
        final = metrics.get('test' if v.test_of else 'val')
        if state == 'finished' and final:
            res.per_seed[seed] = {k: final[k] for k in spec.metrics if k in final}
            missing = [k for k in spec.metrics if k not in final]
            if missing:
                res.problems[seed] = f'no {", ".join(missing)}'
        elif state == 'failed':
            rc = read_status(wd).get('returncode')
            res.problems[seed] = f'failed (exit {rc})'
        elif osp.isdir(wd):
            res.problems[seed] = 'not finished'
        else:
            res.problems[seed] = 'missing'
    return res


def _short_one(metric: str) -> str:
    name = metric.split('/')[-1]
    return {'bbox_mAP': 'mAP', 'bbox_mAP_50': 'AP50', 'bbox_mAP_75': 'AP75', 'bbox_mAP_s': 'AP_s',
            'bbox_mAP_m': 'AP_m', 'bbox_mAP_l': 'AP_l'}.get(name, name)


def _short_names(metrics) -> dict:
    """Column name of each metric: the key without its prefix ('coco/bbox_mAP'
    -> 'mAP'), or the whole key where two metrics would share a short name
    ('bench/mAP' and 'bench50/mAP')."""
    short = [_short_one(m) for m in metrics]
    return {m: (m if short.count(s) > 1 else s) for m, s in zip(metrics, short)}


def _delta(mean, base):
    if mean is None or base is None:
        return None, None
    return mean - base, (100 * (mean - base) / base if base else None)


def _fold_delta(r: VariantResult, base: VariantResult, metric: str):
    """Change of the fold average vs the baseline's; none unless both average
    over the same folds (folds differ more than methods do)."""
    if r.folds_with(metric) != base.folds_with(metric):
        return None, None
    return _delta(r.mean(metric), base.mean(metric))


def _value(spec: GridSpec, mean: float, std: Optional[float] = None) -> str:
    return f'{spec.scale * mean:.1f}' + ('' if std is None else f' ± {spec.scale * std:.1f}')


def _change(spec: GridSpec, d, p) -> str:
    if d is None:
        return ''
    return f' ({spec.scale * d:+.1f}' + (f', {p:+.2f}%)' if p is not None else ')')


def format_markdown(spec: GridSpec, results: List[VariantResult]) -> str:
    """Cells: ``mean +- std`` (x ``spec.scale``), then ``(+d, +p%)`` against
    the baseline. A variant with failed or missing seeds says which.

    k-fold grids: per metric, one column per fold (``mAP fold0``: mean ± std
    over that fold's seeds), then ``mAP Avg``: the mean of the per-fold means
    and its change vs the baseline; ``[3/4 folds]`` marks an average over
    fewer folds than the grid's (then no change is shown)."""
    if spec.folds is not None:
        return _markdown_folds(spec, results)
    base = next(r for r in results if r.name == spec.baseline)
    names = _short_names(spec.metrics)
    head = ['variant', 'seeds'] + [names[m] for m in spec.metrics] + ['notes']
    lines = ['| ' + ' | '.join(head) + ' |', '|' + '---|' * len(head)]
    for r in results:
        cells = [r.name + (' (baseline)' if r.name == spec.baseline else ''),
                 f'{len(r.per_seed)}/{len(spec.seeds)}']
        for m in spec.metrics:
            mean = r.mean(m)
            if mean is None:
                cells.append('-')
                continue
            cell = _value(spec, mean, r.std(m))
            if r is not base:
                cell += _change(spec, *_delta(mean, base.mean(m)))
            cells.append(cell)
        cells.append('; '.join(r.problem_list()))
        lines.append('| ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


def _markdown_folds(spec: GridSpec, results: List[VariantResult]) -> str:
    base = next(r for r in results if r.name == spec.baseline)
    head = ['variant', 'runs']
    names = _short_names(spec.metrics)
    for m in spec.metrics:
        head += [f'{names[m]} fold{k}' for k in spec.folds] + [f'{names[m]} Avg']
    head.append('notes')
    lines = ['| ' + ' | '.join(head) + ' |', '|' + '---|' * len(head)]
    n_runs = len(spec.folds) * len(spec.seeds)
    for r in results:
        cells = [r.name + (' (baseline)' if r.name == spec.baseline else ''),
                 f'{r.n_finished}/{n_runs}']
        for m in spec.metrics:
            for k in spec.folds:
                fold = r.folds[k]
                mean = fold.mean(m)
                cells.append('-' if mean is None else _value(spec, mean, fold.std(m)))
            mean = r.mean(m)
            if mean is None:
                cells.append('-')
                continue
            have = r.folds_with(m)
            cell = _value(spec, mean)
            if len(have) < len(spec.folds):
                cell += f' [{len(have)}/{len(spec.folds)} folds]'
            if r is not base:
                cell += _change(spec, *_fold_delta(r, base, m))
            cells.append(cell)
        cells.append('; '.join(r.problem_list()))
        lines.append('| ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


def write_csv(spec: GridSpec, results: List[VariantResult], path: str) -> None:
    if spec.folds is not None:
        return _csv_folds(spec, results, path)
    base = next(r for r in results if r.name == spec.baseline)
    fields = ['variant', 'n_finished', 'n_seeds', 'problems']
    for m in spec.metrics:
        fields += [f'{m}_mean', f'{m}_std', f'{m}_delta', f'{m}_delta_pct'] + \
            [f'{m}_seed{s}' for s in spec.seeds]
    with open(path, 'w', newline='') as f:
        w = csv.DictWriter(f, fieldnames=fields)
        w.writeheader()
        for r in results:
            row = dict(variant=r.name, n_finished=len(r.per_seed), n_seeds=len(spec.seeds),
                       problems='; '.join(r.problem_list()))
            for m in spec.metrics:
                d, p = _delta(r.mean(m), base.mean(m))
                row.update({f'{m}_mean': r.mean(m), f'{m}_std': r.std(m), f'{m}_delta': d,
                            f'{m}_delta_pct': p})
                for s in spec.seeds:
                    row[f'{m}_seed{s}'] = r.per_seed.get(s, {}).get(m)
            w.writerow({k: ('' if v is None else v) for k, v in row.items()})


def _csv_folds(spec: GridSpec, results: List[VariantResult], path: str) -> None:
    """k-fold grids, rows by ``level``: ``variant`` (the fold average:
    ``<metric>_mean`` = mean of the per-fold means, ``_std`` = their spread
    across folds, ``_delta``/``_delta_pct`` vs the baseline), ``fold`` (mean and
    std over the fold's seeds) and ``run`` (one per variant x fold x seed:
    the value under ``<metric>``, or its problem)."""
    base = next(r for r in results if r.name == spec.baseline)
    fields = ['variant', 'level', 'fold', 'seed', 'n_finished', 'n_runs', 'problems']
    for m in spec.metrics:
        fields += [m, f'{m}_mean', f'{m}_std', f'{m}_delta', f'{m}_delta_pct']
    rows = []
    for r in results:
        row = dict(variant=r.name, level='variant', n_finished=r.n_finished,
                   n_runs=len(spec.folds) * len(spec.seeds), problems='; '.join(r.problem_list()))
        for m in spec.metrics:
            d, p = _fold_delta(r, base, m)
            row.update({f'{m}_mean': r.mean(m), f'{m}_std': r.std(m), f'{m}_delta': d,
                        f'{m}_delta_pct': p})
        rows.append(row)
        for k, fold in r.folds.items():
            row = dict(variant=r.name, level='fold', fold=k, n_finished=fold.n_finished,
                       n_runs=len(spec.seeds), problems='; '.join(fold.problem_list()))
            for m in spec.metrics:
                row.update({f'{m}_mean': fold.mean(m), f'{m}_std': fold.std(m)})
            rows.append(row)
            for s in spec.seeds:
                values = fold.per_seed.get(s, {})
                rows.append(dict(variant=r.name, level='run', fold=k, seed=s,
                                 n_finished=int(s in fold.per_seed), n_runs=1,
                                 problems=fold.problems.get(s),
                                 **{m: values.get(m) for m in spec.metrics}))
    with open(path, 'w', newline='') as f:
        w = csv.DictWriter(f, fieldnames=fields)
        w.writeheader()
        for row in rows:
            w.writerow({k: ('' if v is None else v) for k, v in row.items()})


def plot(spec: GridSpec, results: List[VariantResult], path: str) -> None:
    """Grouped bars: one group per metric, one bar per variant, error bars
    = std over seeds (k-fold grids: mean and std of the per-fold means)."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    n_var, n_met = len(results), len(spec.metrics)
    width = 0.8 / max(n_var, 1)
    fig, ax = plt.subplots(figsize=(max(6, 1.6 * n_met + 0.4 * n_var), 4))
    for i, r in enumerate(results):
        means = [spec.scale * (r.mean(m) or 0) for m in spec.metrics]
        errs = [spec.scale * (r.std(m) or 0) for m in spec.metrics]
        xs = [j + (i - (n_var - 1) / 2) * width for j in range(n_met)]
        if spec.folds is None:
            label = f'{r.name} ({len(r.per_seed)}/{len(spec.seeds)} seeds)'
        else:
            label = f'{r.name} ({r.n_finished}/{len(spec.folds) * len(spec.seeds)} runs)'
        ax.bar(xs, means, width, yerr=errs, capsize=3, label=label)
    ax.set_xticks(range(n_met))
    names = _short_names(spec.metrics)
    ax.set_xticklabels([names[m] for m in spec.metrics])
    ax.set_ylabel('%' if spec.scale == 100 else 'value')
    ax.set_title(f'{spec.name}: mean ± std over seeds' if spec.folds is None else
                 f'{spec.name}: mean ± std over {len(spec.folds)} folds (fold = mean over seeds)')
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def write_results(spec: GridSpec, out_dir: Optional[str] = None,
                  prior: Optional[str] = None) -> Dict[str, str]:
    """Collect and write ``results.md``, ``results.csv`` and ``results.png``
    into ``out_dir`` (default: the grid's work dir); returns their paths and
    the Markdown table under ``table``. ``prior``: an earlier ``results.csv``
    of the grid whose per-seed values stand in for runs without a work dir
    (:func:`read_prior`)."""
    out_dir = out_dir or spec.root
    os.makedirs(out_dir, exist_ok=True)
    results = collect(spec, read_prior(spec, prior) if prior else None)
    table = format_markdown(spec, results)
    paths = {k: osp.join(out_dir, f'results.{k}') for k in ('md', 'csv', 'png')}
    if spec.folds is None:
        about = (f'seeds {spec.seeds}; values x{spec.scale:g}, mean ± std over finished seeds, '
                 f'(change vs {spec.baseline} in points, in %).')
    else:
        about = (f'folds {spec.folds} x seeds {spec.seeds}; values x{spec.scale:g}. '
                 f'`fold<k>`: mean ± std over the finished seeds of fold k (work dirs '
                 f'`<variant>/fold<k>/seed<s>`); Avg: mean of the per-fold means (as the BDE '
                 f"paper's Fold1..Fold4 and Avg), (change vs {spec.baseline} in points, in %); "
                 f'`[n/K folds]`: averaged over the folds that have a value, no change shown.')
    if prior:
        about += f' Runs without a work dir: the values recorded in `{prior}`.'
    with open(paths['md'], 'w') as f:
        f.write(f'# {spec.name}\n\nGrid: `{spec.source}`; {about}\n\n{table}\n')
    write_csv(spec, results, paths['csv'])
    plot(spec, results, paths['png'])
    return dict(paths, table=table)
