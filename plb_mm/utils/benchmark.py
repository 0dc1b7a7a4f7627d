"""Training-step benchmark: several configs timed side by side in one process.

Each config's model (its heads, losses, assigners: everything of the config)
and optimizer are built; every model trains on the same batches of synthetic
smears. The models take turns step by step (round robin), so slow drift of
the machine (clocks, other load) hits all of them alike. Times are of a whole
step (data preprocessor, forward, loss, backward, optimizer), synchronised on
CUDA, after warm-up.
"""
import json
import os
import statistics
import threading
import time
from typing import Dict, List, Optional, Sequence

import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.optim import build_optim_wrapper

from mmdet.registry import DATASETS, MODELS
from mmdet.utils import register_all_modules

from .config_edit import set_num_classes


def synthetic_batches(num: int, batch_size: int, scale: Sequence[int],
                      data_root: str = 'data/synthetic_cells/') -> List[dict]:
    """``num`` collated training batches of the synthetic smears at ``scale``
    (the set at ``data_root``, whatever its generation parameters; the
    default set is generated there when none is). A set of the ``sladet``
    preset is loaded with its labelled regions and attributes."""
    import plb_mm  # noqa: F401
    register_all_modules()
    meta_file = os.path.join(data_root, 'meta.json')
    synthetic = None
    if os.path.isfile(meta_file):
        with open(meta_file) as f:
            synthetic = json.load(f)
    if (synthetic or {}).get('preset') == 'sladet':  # regions and attributes (SLA-Det)
        pipeline = [dict(type='LoadImageFromFile'),
                    dict(type='LoadSLADetAnnotations', with_bbox=True),
                    dict(type='RegionResize', scale=tuple(scale), keep_ratio=False),
                    dict(type='PackSLADetInputs')]
    else:
        pipeline = [dict(type='LoadImageFromFile'), dict(type='LoadAnnotations', with_bbox=True),
                    dict(type='Resize', scale=tuple(scale), keep_ratio=False),
                    dict(type='PackDetInputs')]
    ds = DATASETS.build(dict(type='SyntheticCellsDataset', data_root=data_root,
                             ann_file='annotations/train.json', data_prefix=dict(img=''),
                             pipeline=pipeline, synthetic=synthetic))
    return [pseudo_collate([ds[(b * batch_size + i) % len(ds)] for i in range(batch_size)])
            for b in range(num)]


def build_for_benchmark(config: str, num_classes: int = 3, device: str = 'cpu',
                        cfg_options: Optional[dict] = None):
    """The config's model (from scratch, re-targeted to ``num_classes``) in
    training mode on ``device``, with the config."""
    import plb_mm  # noqa: F401
    register_all_modules()
    cfg = Config.fromfile(config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    set_num_classes(cfg.model, num_classes)
    if 'init_cfg' in cfg.model.get('backbone', {}):
        cfg.model.backbone.init_cfg = None
    torch.manual_seed(0)
    return MODELS.build(cfg.model).to(device).train(), cfg


def fixed_batch(model, batch_size: int, scale, data_root: str = 'data/synthetic_cells/'):
    """One preprocessed synthetic batch for ``model``: ``(data, gt_instances,
    img_metas)``."""
    from plb_mm.datasets import ensure_synthetic_cells
    ensure_synthetic_cells(data_root)
    data = model.data_preprocessor(synthetic_batches(1, batch_size, scale, data_root)[0], True)
    samples = data['data_samples']
    return data, [s.gt_instances for s in samples], [s.metainfo for s in samples]


class _RssPeak:
    """Peak resident memory of this process while active (CPU runs)."""

    def __init__(self):
        self.peak = 0
        self._stop = threading.Event()

    @staticmethod
    def rss() -> int:
        with open('/proc/self/statm') as f:
            return int(f.read().split()[1]) * os.sysconf('SC_PAGE_SIZE')

    def __enter__(self):
        self.base = self.peak = self.rss()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()
        return self

    def _watch(self):
        while not self._stop.wait(0.002):
            self.peak = max(self.peak, self.rss())

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.rss())


def benchmark_train_step(configs: Sequence[str], batch_size: int = 2, scale=(320, 320),
                         warmup: int = 3, iters: int = 10, device: Optional[str] = None,
                         num_classes: int = 3, cfg_options: Optional[dict] = None,
                         data_root: str = 'data/synthetic_cells/', verbose: bool = True) -> List[Dict]:
    """Time a training step of each config; returns one dict per config with
    ``config``, ``ms_median``, ``ms_mean``, ``ms_min``, ``ratio`` (median vs
    the first config) and ``peak_mem_mb`` (CUDA: peak allocated during a step
    above what was allocated before it; CPU: peak RSS increase during a step)."""
    device = device or ('cuda' if torch.cuda.is_available() else 'cpu')
    from plb_mm.datasets import ensure_synthetic_cells
    if not os.path.isfile(os.path.join(data_root, 'meta.json')):
        ensure_synthetic_cells(data_root)  # the default set; any other is used as it is
    batches = synthetic_batches(4, batch_size, scale, data_root)
    runs = []
    for path in configs:
        model, cfg = build_for_benchmark(path, num_classes, device, cfg_options)
        optim = build_optim_wrapper(model, cfg.optim_wrapper)
        runs.append(dict(config=path, model=model, optim=optim, times=[], mem=[]))
    if verbose:
        print(f'[benchmark] {len(runs)} configs on {device}, batch {batch_size} at '
              f'{scale[0]}x{scale[1]}, {warmup} warm-up + {iters} timed steps each', flush=True)

    def step(run, batch):
        data = run['model'].data_preprocessor(batch, True)
        losses = run['model'](**data, mode='loss')
        loss, _ = run['model'].parse_losses(losses)
        run['optim'].update_params(loss)

    for it in range(warmup + iters):
        batch = batches[it % len(batches)]
        for run in runs:
            if device == 'cuda':
                torch.cuda.synchronize()
                before = torch.cuda.memory_allocated()
                torch.cuda.reset_peak_memory_stats()
                t0 = time.perf_counter()
                step(run, batch)
                torch.cuda.synchronize()
                dt = time.perf_counter() - t0
                mem = torch.cuda.max_memory_allocated() - before
            else:
                with _RssPeak() as rss:
                    t0 = time.perf_counter()
                    step(run, batch)
                    dt = time.perf_counter() - t0
                mem = rss.peak - rss.base
            if it >= warmup:
                run['times'].append(dt * 1000)
                run['mem'].append(mem / 2**20)
        if verbose:
            print(f'[benchmark] step {it + 1}/{warmup + iters}'
                  f'{" (warm-up)" if it < warmup else ""}', flush=True)
    base = statistics.median(runs[0]['times'])
    return [dict(config=r['config'], ms_median=statistics.median(r['times']),
                 ms_mean=statistics.fmean(r['times']), ms_min=min(r['times']),
                 ratio=statistics.median(r['times']) / base, peak_mem_mb=max(r['mem']))
            for r in runs]


def format_benchmark(rows: List[Dict]) -> str:
    lines = ['| config | ms/step (median) | min | vs first | peak step memory (MB) |',
             '|---|---|---|---|---|']
    for r in rows:
        lines.append(f"| {os.path.basename(r['config'])} | {r['ms_median']:.1f} | {r['ms_min']:.1f} | "
                     f"{(r['ratio'] - 1) * 100:+.1f}% | {r['peak_mem_mb']:.0f} |")
    return '\n'.join(lines)
