"""What a grid's runs logged during training: for each variant, the mean over
a window of epochs of logged training scalars (the PL term's ``num_pseudo``,
``PseudoLabelQualityHook``'s ``pl_precision`` / ``pl_recall``, a loss term...)
and the first epoch a scalar was non-zero, as mean ± std over seeds.

The grid table (:mod:`plb_mm.grid.collect`) holds the final evaluation; this
is for "what did the method see": a term that never fires trains nothing.

Source: each run's ``<work_dir>/<timestamp>/vis_data/scalars.json`` (mmengine's
``LocalVisBackend``, one JSON line per logged step). The values are what
mmengine's ``LogProcessor`` logs: keys with ``loss``, ``time`` or
``grad_norm`` in their name are the mean over its last ``window_size``
iterations (50 in plb_mm's runtime), every other key (``num_pseudo``,
``pl_precision``...) is the value of the logged iteration only, a sample every
``logger.interval`` iterations. So a loss can be above zero in a window in
which the sampled count is 0. A resumed run has several timestamp folders; a
step logged twice keeps the later value.
"""
import glob
import json
import os.path as osp
import statistics
from typing import Dict, List, Optional, Sequence, Tuple

from .spec import GridSpec


def read_train_scalars(work_dir: str) -> List[dict]:
    """The training steps a run logged (rows with ``loss``), by step. A line
    that is not JSON is an error naming the file and the line."""
    steps: Dict[int, dict] = {}
    for path in sorted(glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json'))):
        with open(path) as f:
            for n, line in enumerate(f, start=1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as e:
                    raise ValueError(f'{path}, line {n}: not a JSON record ({e})') from None
                if 'loss' in row and 'step' in row:
                    steps[int(row['step'])] = row
    return [steps[k] for k in sorted(steps)]


def summarise_run(rows: Sequence[dict], keys: Sequence[str],
                  epochs: Tuple[int, int]) -> Dict[str, Optional[float]]:
    """Per key: ``key`` = the mean of its logged values in epochs
    ``epochs[0]..epochs[1]`` (inclusive; None when it was never logged there,
    e.g. ``pl_precision`` without any pseudo label) and ``key@first`` = the
    first epoch in which it was logged above zero (None: never)."""
    lo, hi = epochs
    out: Dict[str, Optional[float]] = {}
    for k in keys:
        window = [r[k] for r in rows if k in r and lo <= r.get('epoch', 0) <= hi]
        out[k] = statistics.fmean(window) if window else None
        out[f'{k}@first'] = next((r.get('epoch') for r in rows if r.get(k, 0) > 0), None)
    return out


def _mean_std(values: List[float]) -> str:
    if not values:
        return '-'
    m = statistics.fmean(values)
    return f'{m:.3g}' if len(values) == 1 else f'{m:.3g} ± {statistics.stdev(values):.2g}'


def train_scalar_table(spec: GridSpec, keys: Sequence[str], epochs: Tuple[int, int],
                       variants: Optional[Sequence[str]] = None) -> Tuple[str, List[dict]]:
    """A Markdown table (one row per variant: runs found, then per key the
    mean ± std over seeds of the per-run window mean, and the first non-zero
    epoch per seed) and the per-run rows behind it. Runs without logged
    steps are listed in the notes, not dropped."""
    head = ['variant', 'runs'] + [f'{k} (epochs {epochs[0]}-{epochs[1]})' for k in keys] + \
        [f'{k} first > 0 (epoch, per seed)' for k in keys] + ['notes']
    lines = ['| ' + ' | '.join(head) + ' |', '|' + ' --- |' * len(head)]
    per_run = []
    for name in variants or list(spec.variants):
        found, notes = [], []
        for seed in spec.seeds:
            wd = spec.run(name, seed).work_dir
            rows = read_train_scalars(wd) if osp.isdir(wd) else []
            if not rows:
                notes.append(f'seed{seed}: no logged steps')
                continue
            s = summarise_run(rows, keys, epochs)
            s.update(variant=name, seed=seed, last_epoch=rows[-1].get('epoch'))
            found.append(s)
            per_run.append(s)
        cells = [name, f'{len(found)}/{len(spec.seeds)}']
        cells += [_mean_std([s[k] for s in found if s[k] is not None]) for k in keys]
        cells += [', '.join('-' if s[f'{k}@first'] is None else str(s[f'{k}@first'])
                            for s in found) or '-' for k in keys]
        cells.append('; '.join(notes))
        lines.append('| ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines), per_run
