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
"""
import os.path as osp
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

    @property
    def label(self) -> str:
        return f'{self.variant.name} seed{self.seed}'


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

    @property
    def root(self) -> str:
        return osp.join(self.work_root, self.name)

    def work_dir(self, variant: str, seed: int) -> str:
        return osp.join(self.root, variant, f'seed{seed}')

    def runs(self) -> List[Run]:
        """Training runs first (variant order, then seed), then evaluation-only runs."""
        ordered = [v for v in self.variants.values() if v.test_of is None] + \
            [v for v in self.variants.values() if v.test_of is not None]
        return [Run(v, s, self.work_dir(v.name, s)) for v in ordered for s in self.seeds]


def _find(path: str, grid_file: str) -> Optional[str]:
    for cand in (path, osp.join(osp.dirname(grid_file), path)):
        if osp.isfile(cand):
            return cand
    return None


def load_grid(path: str, seeds: Optional[Sequence[int]] = None) -> GridSpec:
    """Read and check a grid file; errors name the file and the entry.
    ``seeds`` replaces the file's seeds (e.g. run seed 0 of every variant
    first, the others later)."""
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
    return GridSpec(name=cfg.name, baseline=cfg.baseline, variants=variants, seeds=seeds,
                    metrics=metrics, work_root=cfg.get('work_root', 'work_dirs'),
                    scale=float(cfg.get('scale', 100.0)), wandb=dict(cfg.get('wandb') or {}),
                    source=path)
