"""Collecting a grid: every run's final evaluation from its work dir into one
table (Markdown + CSV: mean +- std over seeds, change vs the baseline in
points and in percent, as the PLB paper prints it) and a grouped bar plot."""
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

    def values(self, metric: str) -> List[float]:
        return [m[metric] for m in self.per_seed.values() if metric in m]

    def mean(self, metric: str) -> Optional[float]:
        v = self.values(metric)
        return statistics.fmean(v) if v else None

    def std(self, metric: str) -> Optional[float]:
        v = self.values(metric)
        return statistics.stdev(v) if len(v) > 1 else None


def collect(spec: GridSpec) -> List[VariantResult]:
    """One :class:`VariantResult` per variant, in grid order. A run counts when
    finished; failed, running and missing runs are listed as problems, never
    silently dropped. Training variants report their last validation,
    evaluation-only variants their test."""
    results = []
    for v in spec.variants.values():
        res = VariantResult(v.name)
        for seed in spec.seeds:
            wd = spec.work_dir(v.name, seed)
            metrics = read_run_metrics(wd) or {}
            state = run_state(next(r for r in spec.runs()
                                   if r.variant.name == v.name and r.seed == seed))
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
        results.append(res)
    return results


def _short(metric: str) -> str:
    name = metric.split('/')[-1]
    return {'bbox_mAP': 'mAP', 'bbox_mAP_50': 'AP50', 'bbox_mAP_75': 'AP75', 'bbox_mAP_s': 'AP_s',
            'bbox_mAP_m': 'AP_m', 'bbox_mAP_l': 'AP_l'}.get(name, name)


def _delta(mean, base):
    if mean is None or base is None:
        return None, None
    return mean - base, (100 * (mean - base) / base if base else None)


def format_markdown(spec: GridSpec, results: List[VariantResult]) -> str:
    """Cells: ``mean +- std`` (x ``spec.scale``), then ``(+d, +p%)`` against
    the baseline. A variant with failed or missing seeds says which."""
    base = next(r for r in results if r.name == spec.baseline)
    head = ['variant', 'seeds'] + [_short(m) for m in spec.metrics] + ['notes']
    lines = ['| ' + ' | '.join(head) + ' |', '|' + '---|' * len(head)]
    for r in results:
        cells = [r.name + (' (baseline)' if r.name == spec.baseline else ''),
                 f'{len(r.per_seed)}/{len(spec.seeds)}']
        for m in spec.metrics:
            mean, std = r.mean(m), r.std(m)
            if mean is None:
                cells.append('-')
                continue
            cell = f'{spec.scale * mean:.1f}'
            if std is not None:
                cell += f' ± {spec.scale * std:.1f}'
            if r is not base:
                d, p = _delta(mean, base.mean(m))
                if d is not None:
                    cell += f' ({spec.scale * d:+.1f}' + (f', {p:+.2f}%)' if p is not None else ')')
            cells.append(cell)
        cells.append('; '.join(f'seed{s}: {why}' for s, why in sorted(r.problems.items())))
        lines.append('| ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


def write_csv(spec: GridSpec, results: List[VariantResult], path: str) -> None:
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
                       problems='; '.join(f'seed{s}: {why}' for s, why in sorted(r.problems.items())))
            for m in spec.metrics:
                d, p = _delta(r.mean(m), base.mean(m))
                row.update({f'{m}_mean': r.mean(m), f'{m}_std': r.std(m), f'{m}_delta': d,
                            f'{m}_delta_pct': p})
                for s in spec.seeds:
                    row[f'{m}_seed{s}'] = r.per_seed.get(s, {}).get(m)
            w.writerow({k: ('' if v is None else v) for k, v in row.items()})


def plot(spec: GridSpec, results: List[VariantResult], path: str) -> None:
    """Grouped bars: one group per metric, one bar per variant, error bars
    = std over seeds."""
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
        ax.bar(xs, means, width, yerr=errs, capsize=3,
               label=f'{r.name} ({len(r.per_seed)}/{len(spec.seeds)} seeds)')
    ax.set_xticks(range(n_met))
    ax.set_xticklabels([_short(m) for m in spec.metrics])
    ax.set_ylabel('%' if spec.scale == 100 else 'value')
    ax.set_title(f'{spec.name}: mean ± std over seeds')
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def write_results(spec: GridSpec, out_dir: Optional[str] = None) -> Dict[str, str]:
    """Collect and write ``results.md``, ``results.csv`` and ``results.png``
    into ``out_dir`` (default: the grid's work dir); returns their paths and
    the Markdown table under ``table``."""
    out_dir = out_dir or spec.root
    os.makedirs(out_dir, exist_ok=True)
    results = collect(spec)
    table = format_markdown(spec, results)
    paths = {k: osp.join(out_dir, f'results.{k}') for k in ('md', 'csv', 'png')}
    with open(paths['md'], 'w') as f:
        f.write(f'# {spec.name}\n\nGrid: `{spec.source}`; seeds {spec.seeds}; '
                f'values x{spec.scale:g}, mean ± std over finished seeds, (change vs '
                f'{spec.baseline} in points, in %).\n\n{table}\n')
    write_csv(spec, results, paths['csv'])
    plot(spec, results, paths['png'])
    return dict(paths, table=table)
