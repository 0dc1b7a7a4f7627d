"""Layer-level gradient analysis (BDE paper, Li et al. 2021, Section 5 and
Figure 8): how large the test loss's gradient is, layer by layer, for
several trained checkpoints of one model. Used by
``tools/analysis_tools/layer_gradients.py``.

For a conv layer ``l`` with ``K`` kernels ``W_{l,k}`` of ``d x w x h``
elements and ``N`` test images with losses ``L_i``:

- Eq. 16: ``G_{l,k} = 1/N sum_i |dL_i / dW_{l,k}|`` (element-wise; the
  absolute value is taken per image, before the mean over images);
- Eq. 15: ``A_{l,k} = 1/(d w h) sum of the elements of G_{l,k}``;
- Eq. 14: ``mu_l = 1/K sum_k A_{l,k}``.

Every kernel of a layer has the same ``d w h`` elements and the means are
linear, so ``mu_l`` is the mean of ``|dL_i/dW_l|`` over all elements of the
layer's weight, averaged over the images:
``mu_l = 1/N sum_i mean(|dL_i/dW_l|)``; that is what is computed (one float
per layer and image, no per-element buffers). Only the kernels' weights
count, not the biases.

What the loss is and how the model is held (:func:`prepare_model`):

- the loss of image ``i`` is the model's training loss on that image alone
  (batch of one): the sum of every term whose key contains ``'loss'``
  (mmengine's ``parse_losses``, as training sums them). The model is in
  training mode (mmdet's two-stage detectors compute losses only there: RPN
  proposals, RoI sampling) and nothing is updated;
- BatchNorm layers are in eval mode: they normalise with their running
  statistics and do not update them, so an image's loss is that of the
  network the checkpoint holds and does not depend on the batch;
- every conv weight takes a gradient, also those of stages frozen in
  training (``frozen_stages``): their gradient is measured all the same and
  the result notes how many there are;
- a loss with training progress (a module with ``set_progress(cur_iter,
  max_iters)``, plb_mm's ``ProSelfLCLoss``) is set to the end of training,
  ``set_progress(1, 1)``, and the result notes it;
- the samplers (RPN anchors, RoIs) draw at random: the RNG is seeded per
  image (``seed + i``), so every checkpoint sees the same draws;
- the images come through the config's test pipeline. mmdet test pipelines
  load the annotations after ``Resize`` (the boxes stay in the original
  frame for evaluation); for a loss they must follow the image, so
  ``LoadAnnotations`` is moved right after the image loader
  (:func:`loss_pipeline`). A test pipeline without ``LoadAnnotations`` is an
  error.

Layers: every ``torch.nn.Conv2d`` of the model (subclasses included, e.g.
the ``conv`` of mmcv's ``ConvModule``) in ``model.named_modules()`` order,
named by module path and indexed 1..L as the paper's x axis. A layer that
the loss does not reach gets 0 (so does one behind a norm layer whose scale
is 0, e.g. a residual branch of a freshly initialised mmdet ResNet, which
sets ``zero_init_residual``); the result notes such layers.
"""
import copy
import csv
import os
import os.path as osp
from dataclasses import dataclass, field
from typing import Callable, Iterable, List, Optional, Sequence, Tuple

import numpy as np
import torch
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm

LogFn = Optional[Callable[[str], None]]
TIE_COLOUR = (0.75, 0.75, 0.75)


def conv_layers(model: nn.Module) -> List[Tuple[str, nn.Conv2d]]:
    """``(module path, module)`` of every ``nn.Conv2d`` in module order."""
    return [(n, m) for n, m in model.named_modules() if isinstance(m, nn.Conv2d)]


def prepare_model(model: nn.Module) -> List[str]:
    """Hold ``model`` for the analysis (see the module docstring): training
    mode, BatchNorm in eval mode, every conv weight requiring grad, progress
    losses at the end of training. Returns notes on what was done."""
    model.train()
    for m in model.modules():
        if isinstance(m, _BatchNorm):
            m.eval()
    notes = []
    frozen = [n for n, m in conv_layers(model) if not m.weight.requires_grad]
    for _, m in conv_layers(model):
        m.weight.requires_grad_(True)
    if frozen:
        notes.append(f'{len(frozen)} conv layers are frozen in training ({frozen[0]}, ...); '
                     f'their gradient is measured all the same')
    for name, m in model.named_modules():
        if callable(getattr(m, 'set_progress', None)):
            m.set_progress(1, 1)
            notes.append(f'{name} ({type(m).__name__}): set_progress(1, 1), the end of training')
    return notes


def mean_abs_conv_grads(model: nn.Module, items: Iterable,
                        loss_of: Callable[[nn.Module, object], torch.Tensor],
                        log: LogFn = None, every: int = 10,
                        total: Optional[int] = None) -> np.ndarray:
    """``mu_l`` (Eqs. 14-16) of every conv layer of ``model`` over ``items``.

    ``loss_of(model, item)`` gives the scalar loss of one item (one test
    image); the conv weights must require grad (:func:`prepare_model`).
    Returns an array of L floats in :func:`conv_layers` order; a layer that
    no item's loss reaches gets 0. ``log`` gets a line every ``every``
    items.
    """
    layers = conv_layers(model)
    if not layers:
        raise ValueError(f'{type(model).__name__} has no Conv2d layer')
    weights = [m.weight for _, m in layers]
    sums = np.zeros(len(layers))
    n = 0
    for item in items:
        loss = loss_of(model, item)
        if not torch.isfinite(loss):
            raise FloatingPointError(f'the loss of item {n} (0-based) is {loss.item()}')
        grads = torch.autograd.grad(loss, weights, allow_unused=True)
        for j, g in enumerate(grads):
            if g is not None:
                sums[j] += g.detach().abs().double().mean().item()
        n += 1
        if log and (n % every == 0 or n == total):
            log(f'{n}/{total if total is not None else "?"} images')
    if n == 0:
        raise ValueError('no items: the mean gradient needs at least one')
    return sums / n


def loss_pipeline(pipeline: Sequence[dict]) -> Tuple[List[dict], Optional[str]]:
    """The test ``pipeline`` with ``LoadAnnotations`` right after the image
    loader, so that the boxes follow the image through ``Resize`` & co.
    Returns ``(pipeline, note or None)``; no ``LoadAnnotations`` is a
    ``ValueError``."""
    pipeline = [copy.deepcopy(dict(t)) for t in pipeline]
    types = [str(t.get('type', '')).split('.')[-1] for t in pipeline]
    if 'LoadAnnotations' not in types:
        raise ValueError('the test pipeline does not load annotations: a test loss needs '
                         "dict(type='LoadAnnotations', with_bbox=True) in it "
                         "(plb_mm's configs have one)")
    i = types.index('LoadAnnotations')
    loaders = [j for j, t in enumerate(types[:i]) if t.startswith('LoadImage')]
    at = loaders[-1] + 1 if loaders else 0
    if at == i:
        return pipeline, None
    moved = pipeline.pop(i)
    pipeline.insert(at, moved)
    return pipeline, (f'LoadAnnotations moved before {", ".join(types[at:i])} in the test '
                      f'pipeline, so that the boxes follow the image')


def default_labels(paths: Sequence[str]) -> List[str]:
    """Short unique labels for checkpoint paths: the file name without
    ``.pth``, with as many parent folders as it takes to tell them apart."""
    parts = [osp.normpath(p).split(os.sep) for p in paths]
    parts = [q[:-1] + [osp.splitext(q[-1])[0]] for q in parts]
    for k in range(1, max(len(q) for q in parts) + 1):
        labels = ['/'.join(q[-k:]) for q in parts]
        if len(set(labels)) == len(labels):
            return labels
    return [f'{i + 1}:{p}' for i, p in enumerate(paths)]  # the same path given twice


@dataclass
class LayerGradients:
    """``values[l, c]``: ``mu_l`` of layer ``layers[l]`` (index ``l + 1``)
    for checkpoint ``labels[c]``; over ``images`` test images."""
    layers: List[str]
    labels: List[str]
    values: np.ndarray
    images: int
    notes: List[str] = field(default_factory=list)

    def smallest(self) -> np.ndarray:
        """Per layer, the column of the smallest value, -1 for a tie."""
        best = self.values.min(axis=1, keepdims=True)
        is_min = self.values == best
        return np.where(is_min.sum(axis=1) == 1, is_min.argmax(axis=1), -1)

    def thirds(self) -> List[np.ndarray]:
        """Layer positions (0-based) of the first, middle and last third."""
        return np.array_split(np.arange(len(self.layers)), 3)

    def smallest_counts(self) -> dict:
        """``{label or 'tie': [all, first, middle, last]}``: in how many
        layers each checkpoint has the smallest gradient."""
        best = self.smallest()
        keys = list(enumerate(self.labels)) + [(-1, 'tie')]
        return {name: [int((best == c).sum())] + [int((best[t] == c).sum())
                                                    for t in self.thirds()]
                for c, name in keys}

    def summary(self) -> str:
        spans = ', '.join(f'{t[0] + 1}-{t[-1] + 1}' if len(t) else '-' for t in self.thirds())
        counts = self.smallest_counts()
        width = max(len(k) for k in list(counts) + ['checkpoint'])
        lines = [f'smallest mean |dL/dW| per conv layer: {len(self.layers)} layers, '
                 f'{self.images} test images (thirds: {spans})',
                 f'{"checkpoint":<{width}}  {"all":>5} {"first":>6} {"middle":>6} {"last":>6}']
        for name, (a, f, m, last) in counts.items():
            if name != 'tie' or a:
                lines.append(f'{name:<{width}}  {a:>5} {f:>6} {m:>6} {last:>6}')
        return '\n'.join(lines)

    def write_csv(self, path: str) -> None:
        """Columns ``index, layer`` and one per checkpoint label."""
        with open(path, 'w', newline='') as f:
            w = csv.writer(f)
            w.writerow(['index', 'layer'] + list(self.labels))
            for i, (name, row) in enumerate(zip(self.layers, self.values)):
                w.writerow([i + 1, name] + [repr(float(v)) for v in row])

    def plot(self, path: str, title: str = '') -> None:
        """Figure 8: one line per checkpoint over the layer index (log y) and
        a row of cells under it coloured by the checkpoint with the smallest
        gradient in that layer (grey: a tie)."""
        import matplotlib
        matplotlib.use('Agg')
        import matplotlib.pyplot as plt
        from matplotlib.patches import Patch
        n = len(self.layers)
        x = np.arange(1, n + 1)
        colours = [plt.get_cmap('tab10')(c % 10) for c in range(len(self.labels))]
        fig, (ax, strip) = plt.subplots(
            2, 1, sharex=True, figsize=(max(8.0, 0.12 * n), 5),
            gridspec_kw=dict(height_ratios=[6, 1], hspace=0.05))
        for c, label in enumerate(self.labels):
            v = self.values[:, c]
            ax.plot(x, np.where(v > 0, v, np.nan), marker='.', lw=1, color=colours[c],
                    label=label)
        ax.set_yscale('log')
        ax.set_ylabel('mean |dL/dW| (test loss)')
        ax.set_title(title or f'layer-level gradient, {self.images} test images')
        ax.grid(True, which='major', alpha=0.3)
        best = self.smallest()
        cells = np.array([[colours[b][:3] if b >= 0 else TIE_COLOUR for b in best]])
        strip.imshow(cells, aspect='auto', extent=(0.5, n + 0.5, 0, 1), interpolation='nearest')
        strip.vlines(np.arange(1.5, n), 0, 1, colors='white', linewidth=0.5)
        strip.set_yticks([])
        strip.set_ylabel('min', rotation=0, ha='right', va='center')
        strip.set_xlabel(f'conv layer index (1-{n}, module order)')
        handles, _ = ax.get_legend_handles_labels()
        if (best < 0).any():
            handles.append(Patch(color=TIE_COLOUR, label='tie'))
        ax.legend(handles=handles, fontsize=8)
        fig.savefig(path, dpi=120, bbox_inches='tight')
        plt.close(fig)


def loss_dataset(cfg):
    """The config's test set through :func:`loss_pipeline`: ``(dataset,
    note or None)``."""
    from mmdet.registry import DATASETS
    ds_cfg = copy.deepcopy(cfg.test_dataloader.dataset)
    pipeline, note = loss_pipeline(ds_cfg.pipeline)
    ds_cfg.pipeline = pipeline
    return DATASETS.build(ds_cfg), note


def _build_model(cfg, device: str) -> nn.Module:
    from mmdet.registry import MODELS
    return MODELS.build(copy.deepcopy(cfg.model)).to(device)


def check_checkpoints(model: nn.Module, checkpoints: Sequence[str], config: str) -> None:
    """Every checkpoint exists, is intact and fits ``model`` (else an error
    naming it), before any work is done."""
    from ..engine.checkpoint import (CheckpointCorruptError, check_checkpoint_fits,
                                     checkpoint_problem)
    for path in checkpoints:
        if not osp.isfile(path):
            raise FileNotFoundError(f'{path}: no such checkpoint file')
        problem = checkpoint_problem(path)
        if problem:
            raise CheckpointCorruptError(f'{path}: cannot be read as a checkpoint ({problem})')
        check_checkpoint_fits(model, path, config)


def layer_gradients(config: str, checkpoints: Sequence[str],
                    labels: Optional[Sequence[str]] = None, num_images: Optional[int] = None,
                    device: str = 'cpu', seed: int = 0, log: LogFn = print) -> LayerGradients:
    """Mean ``|dL_i/dW|`` per conv layer (Eqs. 14-16) of the model of
    ``config`` at each of ``checkpoints``, over the first ``num_images``
    images (default: all) of the config's test set; see the module docstring
    for how the loss is taken. ``labels`` name the checkpoints (default:
    :func:`default_labels`). Errors: a checkpoint that is missing, damaged
    or does not fit the model (naming it), labels not one per checkpoint."""
    from mmengine.config import Config
    from mmengine.dataset import pseudo_collate
    from mmengine.runner import load_checkpoint
    from mmdet.utils import register_all_modules

    import plb_mm  # noqa: F401
    if not checkpoints:
        raise ValueError('give at least one checkpoint')
    labels = list(labels) if labels else default_labels(checkpoints)
    if len(labels) != len(checkpoints):
        raise ValueError(f'{len(labels)} labels for {len(checkpoints)} checkpoints: give one '
                         f'label per checkpoint')
    if len(set(labels)) != len(labels):
        raise ValueError(f'labels must differ: {labels}')
    if num_images is not None and num_images < 1:
        raise ValueError(f'--images {num_images}: need at least 1')
    register_all_modules()
    cfg = Config.fromfile(config)
    check_checkpoints(_build_model(cfg, 'cpu'), checkpoints, config)
    dataset, note = loss_dataset(cfg)
    notes = [note] if note else []
    n = len(dataset) if num_images is None else min(num_images, len(dataset))
    if num_images is not None and num_images > len(dataset):
        notes.append(f'the test set has {len(dataset)} images; all are used')
    if n == 0:
        raise ValueError(f'{config}: the test set is empty')

    def image_loss(model, i):
        torch.manual_seed(seed + i)
        data = model.data_preprocessor(pseudo_collate([dataset[i]]), True)
        return model.parse_losses(model.loss(data['inputs'], data['data_samples']))[0]

    columns, layers = [], None
    for label, path in zip(labels, checkpoints):
        model = _build_model(cfg, device)
        load_checkpoint(model, path, map_location='cpu', logger='silent')
        for line in prepare_model(model):
            if line not in notes:
                notes.append(line)
        layers = [name for name, _ in conv_layers(model)]

        def tell(line, label=label):
            if log:
                log(f'[layer_gradients] {label}: {line}')

        try:
            mu = mean_abs_conv_grads(model, range(n), image_loss, tell, total=n)
        except FloatingPointError as e:
            raise FloatingPointError(f'{path}: on the test images, {e}; the checkpoint may '
                                     f'have diverged') from None
        zero = [name for name, v in zip(layers, mu) if v == 0]
        if zero:
            notes.append(f'{label}: {len(zero)} conv layers have gradient 0 (the loss does not '
                         f'reach them, or a zero-initialised norm blocks it): '
                         f'{", ".join(zero[:4])}{", ..." if len(zero) > 4 else ""}')
        columns.append(mu)
    return LayerGradients(layers=layers, labels=labels, values=np.stack(columns, axis=1),
                          images=n, notes=notes)


def write_layer_gradients(result: LayerGradients, out_dir: str,
                          title: str = '') -> Tuple[str, str]:
    """Write ``layer_gradients.csv`` and ``layer_gradients.png`` into
    ``out_dir``; returns their paths."""
    os.makedirs(out_dir, exist_ok=True)
    csv_path = osp.join(out_dir, 'layer_gradients.csv')
    png_path = osp.join(out_dir, 'layer_gradients.png')
    result.write_csv(csv_path)
    result.plot(png_path, title)
    return csv_path, png_path
