"""Grid specs: a Python config file naming a baseline, variants, seeds and the
metrics to report (SPEC section 7). Example (configs/grids/quickstart.py)::

    name = 'quickstart'
    baseline = 'baseline'
    variants = dict(
        baseline='configs/plb/faster-rcnn_r18_fpn_tiny_12e_synthetic-cells.py',
        plb1c='configs/plb/faster-rcnn_r18_fpn_tiny_plb1c_12e_synthetic-cells.py',
        # a base config plus overrides (mmengine dotted keys):
        plb1c_image=dict(config='configs/plb/faster-rcnn_r18_fpn_tiny_plb1c_12e_synthetic-cells.py',
                         cfg_options={'model.rpn_head.loss_weighters.cls':
                                      [dict(type='PLBWeighter', mean_scope='image')]}),
        # evaluation only: another variant's final checkpoints, tested with this config
        clnms=dict(test_of='baseline', config='configs/dcloss/..._clnms_....py'),
    )
    seeds = [0, 1, 2]
    metrics = ['coco/bbox_mAP', 'coco/bbox_mAP_s', 'coco/bbox_mAP_m', 'coco/bbox_mAP_l']

Optional: ``work_root`` (default ``work_dirs``), ``scale`` (100: metrics are
fractions shown in %), ``wandb = dict(project=...)``. Config files are found
relative to the current directory or, failing that, to the grid file.
Composition stays in the configs (inheritance); the grid holds no logic.

k-fold grids (e.g. the splits of ``tools/misc/kfold_split.py``, which writes
``fold{k}_train.json`` / ``fold{k}_test.json``) add ``folds`` and
``fold_options``; the runs are then variant x fold x seed, each in
``<work_root>/<name>/<variant>/fold<k>/seed<s>``::

    folds = [0, 1, 2, 3]
    fold_options = {   # mmengine dotted keys -> templates; {fold} is the fold id
        'train_dataloader.dataset.ann_file': 'folds/fold{fold}_train.json',
        'val_dataloader.dataset.ann_file': 'folds/fold{fold}_test.json',
        'val_evaluator.ann_file': 'data/mitos/folds/fold{fold}_test.json',
    }

The filled options are merged after the variant's own ``cfg_options`` (on the
command line of each run, after ``randomness.seed``), so a fold option wins
over a variant's option on the same key. ``test_of`` variants test the
checkpoints of the same fold and seed with ``tools/test.py``, which reads
``test_dataloader`` / ``test_evaluator``: a config that sets
``test_dataloader = val_dataloader`` copies it when the file is read, so name
the ``test_*`` keys in ``fold_options`` too when the grid has such variants.
Templates are ``str.format`` strings whose only field is ``fold``
(``'fold{fold:02d}.json'`` works too).
"""
import os.path as osp
import string
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence

from mmengine.config import Config


class GridSpecError(ValueError):
    """A grid file that cannot be run as it is."""


@dataclass
class Variant:
    name: str
    config: str
    cfg_options: Dict = field(default_factory=dict)
    test_of: Optional[str] = None     # evaluate this (training) variant's checkpoints


@dataclass
class Run:
    variant: Variant
    seed: int
    work_dir: str
    fold: Optional[int] = None        # k-fold grids: the fold id
    fold_options: Dict = field(default_factory=dict)  # that fold's filled ``fold_options``

    @property
    def label(self) -> str:
        fold = '' if self.fold is None else f' fold{self.fold}'
        return f'{self.variant.name}{fold} seed{self.seed}'

    @property
    def cfg_options(self) -> Dict:
        """The overrides the run trains with: the variant's, then the fold's
        (``randomness.seed`` aside)."""
        return {**self.variant.cfg_options, **self.fold_options}


@dataclass
class GridSpec:
    name: str
    baseline: str
    variants: Dict[str, Variant]
    seeds: List[int]
    metrics: List[str]
    work_root: str = 'work_dirs'
    scale: float = 100.0
    wandb: Dict = field(default_factory=dict)
    source: str = ''
    folds: Optional[List[int]] = None   # None: no folds (runs are variant x seed)
    fold_options: Dict[str, str] = field(default_factory=dict)

    @property
    def root(self) -> str:
        return osp.join(self.work_root, self.name)

    def work_dir(self, variant: str, seed: int, fold: Optional[int] = None) -> str:
        if fold is None:
            return osp.join(self.root, variant, f'seed{seed}')
        return osp.join(self.root, variant, f'fold{fold}', f'seed{seed}')

    def fold_cfg_options(self, fold: int) -> Dict[str, str]:
        """``fold_options`` with ``{fold}`` filled in."""
        return {k: t.format(fold=fold) for k, t in self.fold_options.items()}

    def run(self, variant: str, seed: int, fold: Optional[int] = None) -> Run:
        v = self.variants[variant]
        return Run(v, seed, self.work_dir(variant, seed, fold), fold,
                   {} if fold is None else self.fold_cfg_options(fold))

    def source_run(self, run: Run) -> Run:
        """The training run whose checkpoints an evaluation-only run tests
        (same fold and seed)."""
        return self.run(run.variant.test_of, run.seed, run.fold)

    def runs(self) -> List[Run]:
        """Training runs first (variant order, then fold, then seed), then
        evaluation-only runs."""
        ordered = [v for v in self.variants.values() if v.test_of is None] + \
            [v for v in self.variants.values() if v.test_of is not None]
        folds = [None] if self.folds is None else self.folds
        return [self.run(v.name, s, k) for v in ordered for k in folds for s in self.seeds]


def _find(path: str, grid_file: str) -> Optional[str]:
    for cand in (path, osp.join(osp.dirname(grid_file), path)):
        if osp.isfile(cand):
            return cand
    return None


def _int_ids(ids) -> bool:
    return all(isinstance(i, int) and not isinstance(i, bool) for i in ids)


def _check_template(where: str, key, template) -> None:
    if not isinstance(key, str) or not key:
        raise GridSpecError(f'{where}: `fold_options` keys must be mmengine dotted config keys '
                            f'(strings), got {key!r}')
    if not isinstance(template, str):
        raise GridSpecError(f"{where}: fold_options['{key}'] must be a string template with "
                            f'{{fold}}, got {template!r}')
    try:
        fields = [f for _, f, _, _ in string.Formatter().parse(template) if f is not None]
    except ValueError as e:
        raise GridSpecError(f"{where}: fold_options['{key}'] = {template!r}: {e} (write a "
                            f'literal brace as {{{{ or }}}})') from None
    if 'fold' not in fields:
        raise GridSpecError(f"{where}: fold_options['{key}'] = {template!r} has no {{fold}}: "
                            f'every fold would use the same value')
    other = sorted(set(fields) - {'fold'})
    if other:
        raise GridSpecError(f"{where}: fold_options['{key}'] = {template!r}: only {{fold}} "
                            f'can be filled in, not {other}')
    try:
        template.format(fold=0)
    except (ValueError, IndexError, KeyError) as e:
        raise GridSpecError(f"{where}: fold_options['{key}'] = {template!r}: {e}") from None


def _load_folds(cfg, where: str, folds: Optional[Sequence[int]]):
    """The checked ``folds`` (the ``folds`` argument: a subset of the file's)
    and ``fold_options``; ``(None, {})`` for a grid without folds."""
    has_folds, has_opts = 'folds' in cfg, 'fold_options' in cfg
    if not has_folds and not has_opts:
        if folds is not None:
            raise GridSpecError(f'{where}: --folds {list(folds)} given, but the grid has no '
                                f'`folds`')
        return None, {}
    if not has_opts:
        raise GridSpecError(f'{where}: `folds` needs `fold_options`, a dict of mmengine dotted '
                            f"config keys -> templates with {{fold}} (e.g. "
                            f"{{'train_dataloader.dataset.ann_file': "
                            f"'folds/fold{{fold}}_train.json'}}), or every fold trains the same")
    if not has_folds:
        raise GridSpecError(f'{where}: `fold_options` needs `folds`, the list of fold ids '
                            f'(e.g. folds = [0, 1, 2, 3])')
    file_folds = cfg.folds
    if not isinstance(file_folds, (list, tuple)) or not file_folds:
        raise GridSpecError(f'{where}: `folds` must be a non-empty list of fold ids, got '
                            f'{file_folds!r}')
    file_folds = list(file_folds)
    if not _int_ids(file_folds) or min(file_folds) < 0 or \
            len(set(file_folds)) != len(file_folds):
        raise GridSpecError(f'{where}: `folds` must be distinct non-negative integers, got '
                            f'{file_folds}')
    opts = cfg.fold_options
    if not isinstance(opts, dict) or not opts:
        raise GridSpecError(f'{where}: `fold_options` must be a non-empty dict of mmengine '
                            f'dotted config keys -> templates with {{fold}}, got {opts!r}')
    for key, template in opts.items():
        _check_template(where, key, template)
    if folds is not None:
        folds = list(folds)
        if not folds or not _int_ids(folds) or len(set(folds)) != len(folds):
            raise GridSpecError(f'{where}: --folds must be distinct integers, got {folds}')
        unknown = [k for k in folds if k not in file_folds]
        if unknown:
            raise GridSpecError(f'{where}: --folds {unknown} not among the grid\'s folds '
                                f'{file_folds}')
        file_folds = folds
    return file_folds, dict(opts)


def load_grid(path: str, seeds: Optional[Sequence[int]] = None,
              folds: Optional[Sequence[int]] = None) -> GridSpec:
    """Read and check a grid file; errors name the file and the entry.
    ``seeds`` replaces the file's seeds (e.g. run seed 0 of every variant
    first, the others later); ``folds`` restricts a k-fold grid to some of
    its folds."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'grid file {path} not found')
    cfg = Config.fromfile(path)
    where = f'grid file {path}'
    for key in ('name', 'baseline', 'variants', 'seeds', 'metrics'):
        if key not in cfg:
            raise GridSpecError(f'{where}: missing `{key}`')
    if not isinstance(cfg.variants, dict) or not cfg.variants:
        raise GridSpecError(f'{where}: `variants` must be a non-empty dict name -> config')
    variants = {}
    for name, v in cfg.variants.items():
        if isinstance(v, str):
            v = dict(config=v)
        if not isinstance(v, dict) or 'config' not in v:
            raise GridSpecError(f"{where}: variant '{name}' needs a config file (a path, or "
                                f"dict(config=..., cfg_options=..., test_of=...))")
        unknown = set(v) - {'config', 'cfg_options', 'test_of'}
        if unknown:
            raise GridSpecError(f"{where}: variant '{name}': unknown keys {sorted(unknown)}")
        found = _find(v['config'], path)
        if found is None:
            raise GridSpecError(f"{where}: variant '{name}': config {v['config']} not found")
        if '/' in name or name.startswith('.'):
            raise GridSpecError(f"{where}: variant name '{name}' must be a plain folder name")
        variants[name] = Variant(name, found, dict(v.get('cfg_options') or {}), v.get('test_of'))
    for v in variants.values():
        if v.test_of is not None:
            src = variants.get(v.test_of)
            if src is None or src.test_of is not None:
                raise GridSpecError(f"{where}: variant '{v.name}': test_of '{v.test_of}' must "
                                    f"name a training variant of the grid")
    if cfg.baseline not in variants:
        raise GridSpecError(f"{where}: baseline '{cfg.baseline}' is not among the variants "
                            f"{list(variants)}")
    seeds = list(cfg.seeds if seeds is None else seeds)
    if not seeds or not all(isinstance(s, int) for s in seeds) or len(set(seeds)) != len(seeds):
        raise GridSpecError(f'{where}: `seeds` must be distinct integers, got {seeds}')
    metrics = list(cfg.metrics)
    if not metrics:
        raise GridSpecError(f'{where}: `metrics` is empty')
    fold_ids, fold_options = _load_folds(cfg, where, folds)
    return GridSpec(name=cfg.name, baseline=cfg.baseline, variants=variants, seeds=seeds,
                    metrics=metrics, work_root=cfg.get('work_root', 'work_dirs'),
                    scale=float(cfg.get('scale', 100.0)), wandb=dict(cfg.get('wandb') or {}),
                    source=path, folds=fold_ids, fold_options=fold_options)
