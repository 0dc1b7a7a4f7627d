"""Where a loss term's signal comes from, per object size band, with and
without per-box weights: the measurement behind "does PLB give the small
boxes more of the gradient?" (issue 11). Used by
``tools/analysis_tools/loss_share.py``.

For every weightable loss term of a model (RPN cls / reg, RoI cls / reg, or a
dense head's cls / reg) the entries the term sees are put in groups: the
positives by the COCO size band of the ground truth they were matched to
(area measured in the evaluation frame: the original image, or the
``eval_size`` frame of ``RescaledCocoMetric``), the negatives in one group.
For each group ``G`` and each weighting (none; the config's weighters, or
added ones) the tool reports

- the share of the term's loss, ``sum_{i in G} w_i l_i / sum_i w_i l_i``;
- the share of the term's gradient, ``g_G . g / |g|^2`` with
  ``g = dL/dtheta`` and ``g_G`` the gradient of the group's part of the
  loss alone (the loss is linear in the weights, so the ``g_G`` sum to ``g``
  and the shares to 1); over all parameters and over the backbone + neck
  (the features every term shares);
- the number of entries and their mean weight.

The groups are cut out with the weighting mechanism itself: a probe
weighter that doubles the group's weights (2 in the group, 1 elsewhere) is
appended to the term's weighters, and ``g_G`` is the gradient with it minus
the gradient without it. Zero weights would not do: mmdet's RoI head counts
the entries with a positive label weight for its ``avg_factor``; with every
weight positive the term's reduction stays what training uses and the loss
is exactly linear in the weights. Every pass re-seeds the RNG, so the samplers draw the same
anchors and RoIs in each.
"""
from typing import Dict, List, Optional, Sequence

import torch
from mmengine.dataset import pseudo_collate
from mmengine.runner import load_checkpoint, set_random_seed

from mmdet.registry import DATASETS

from ..models.task_modules.weighters import BaseBoxWeighter, WeightingBoxes, box_areas
from .benchmark import build_for_benchmark

BANDS = (('small', 0, 32**2), ('medium', 32**2, 96**2), ('large', 96**2, float('inf')))
GROUPS = tuple(name for name, _, _ in BANDS) + ('negative', )
# (head attribute path, term, loss key) of the terms a model may weight
TERMS = (('rpn_head', 'cls', 'loss_rpn_cls'), ('rpn_head', 'reg', 'loss_rpn_bbox'),
         ('roi_head.bbox_head', 'cls', 'loss_cls'), ('roi_head.bbox_head', 'reg', 'loss_bbox'),
         ('bbox_head', 'cls', 'loss_cls'), ('bbox_head', 'reg', 'loss_bbox'))
TERM_NAMES = {('rpn_head', 'cls'): 'RPN cls (1C)', ('rpn_head', 'reg'): 'RPN reg (1B)',
              ('roi_head.bbox_head', 'cls'): 'RoI cls (2C)',
              ('roi_head.bbox_head', 'reg'): 'RoI reg (2B)',
              ('bbox_head', 'cls'): 'dense cls', ('bbox_head', 'reg'): 'dense reg'}


def entry_groups(boxes: WeightingBoxes, area_factors: torch.Tensor) -> List[str]:
    """The group of each entry: the COCO band of its matched ground truth
    (area times ``area_factors[img]``, the factor from input pixels to the
    evaluation frame) for positives, ``'negative'`` otherwise."""
    area = box_areas(boxes.gt_boxes.float()) * area_factors.to(boxes.gt_boxes)[boxes.img_inds]
    out = []
    for pos, a in zip(boxes.is_pos.tolist(), area.tolist()):
        out.append(next(n for n, lo, hi in BANDS if lo <= a < hi) if pos else 'negative')
    return out


class GroupProbeWeighter(BaseBoxWeighter):
    """Weight 2 for the entries of ``group``, 1 for the others (``group``
    None: 1 for all); records what it saw (the boxes and their groups) in
    :attr:`seen`. An analysis probe, not a training component."""

    def __init__(self, group: Optional[str], area_factors: torch.Tensor):
        self.group = group
        self.area_factors = area_factors
        self.seen: List[dict] = []

    def weights(self, boxes: WeightingBoxes) -> torch.Tensor:
        groups = entry_groups(boxes, self.area_factors)
        self.seen.append(dict(groups=groups, boxes=boxes))
        if self.group is None:
            return boxes.pred_boxes.new_ones(len(boxes))
        return boxes.pred_boxes.new_tensor([1.0 + (g == self.group) for g in groups])


def _get_head(model, path: str):
    obj = model
    for part in path.split('.'):
        obj = getattr(obj, part, None)
        if obj is None:
            return None
    return obj


def model_terms(model) -> List[tuple]:
    """``(head_path, term, loss_key, head)`` of every weightable term of the model."""
    out = []
    for path, term, key in TERMS:
        head = _get_head(model, path)
        if head is not None and hasattr(head, 'loss_weighters') and \
                term in getattr(head, 'weightable_terms', ('cls', 'reg')):
            out.append((path, term, key, head))
    return out


def config_batches(cfg, num_batches: int, batch_size: int, seed: int = 0) -> List[dict]:
    """``num_batches`` collated batches of the config's training set through
    its training pipeline (images drawn at random with ``seed``)."""
    ds_cfg = cfg.train_dataloader.dataset
    ds = DATASETS.build(ds_cfg)
    g = torch.Generator().manual_seed(seed)
    order = torch.randperm(len(ds), generator=g).tolist()
    need = num_batches * batch_size
    if need > len(ds):
        raise ValueError(f'{num_batches} batches of {batch_size} need {need} images; '
                         f'the training set has {len(ds)}')
    set_random_seed(seed)  # the pipeline's random flips (mmcv draws them from numpy)
    return [pseudo_collate([ds[order[b * batch_size + i]] for i in range(batch_size)])
            for b in range(num_batches)]


def area_factors_of(data_samples, eval_size: Optional[Sequence[int]] = None) -> torch.Tensor:
    """Per image, the factor from an area in input pixels to one in the
    evaluation frame (the original image, or ``eval_size`` = (w, h))."""
    out = []
    for s in data_samples:
        sx, sy = s.metainfo['scale_factor']
        f = 1.0 / (sx * sy)
        if eval_size is not None:
            oh, ow = s.metainfo['ori_shape'][:2]
            f *= eval_size[0] / ow * eval_size[1] / oh
        out.append(f)
    return torch.tensor(out)


def eval_size_of(cfg) -> Optional[tuple]:
    """The (w, h) frame the config's evaluator takes COCO's size bands in
    (``RescaledCocoMetric``'s ``eval_size``), or None for the original image."""
    ev = cfg.get('val_evaluator', {})
    ev = ev[0] if isinstance(ev, (list, tuple)) else ev
    size = ev.get('eval_size') if hasattr(ev, 'get') else None
    return tuple(size) if size is not None else None


def _flat_grad(loss, params) -> torch.Tensor:
    grads = torch.autograd.grad(loss, [p for _, p in params], retain_graph=True,
                                allow_unused=True)
    return torch.cat([(g if g is not None else torch.zeros_like(p)).reshape(-1)
                      for g, (_, p) in zip(grads, params)])


def _term_loss(losses: dict, key: str) -> torch.Tensor:
    v = losses[key]
    return sum(v) if isinstance(v, (list, tuple)) else v


def loss_share(config: str, checkpoint: Optional[str] = None, num_batches: int = 2,
               batch_size: int = 4, add_weighters: Optional[Dict[str, List[dict]]] = None,
               seed: int = 0, num_classes: Optional[int] = None) -> Dict:
    """Measure, for every weightable term of the model of ``config`` (at
    ``checkpoint``, or its random init), the loss and gradient shares of each
    group without weights and with the weighting (see the module docstring).

    Args:
        add_weighters: ``{'rpn_head.cls': [dict(type='PLBWeighter')], ...}``:
            weighters to add to terms for the "weighted" side (a term's own
            config weighters are always on that side).

    Returns ``{'terms': {term_name: {'weighted_by': str, 'groups': {group:
    {'n', 'mean_w', 'loss_none', 'loss_w', 'grad_none', 'grad_w',
    'grad_bb_none', 'grad_bb_w'}}}}, 'images': int, 'eval_size': ...}``:
    counts per batch, shares in [.., ..] summed over batches' numerators and
    denominators.
    """
    from mmdet.registry import TASK_UTILS
    from mmengine.config import Config
    cfg0 = Config.fromfile(config)
    if num_classes is None:
        from .config_edit import find_num_classes
        num_classes = find_num_classes(cfg0.model) or 3
    model, cfg = build_for_benchmark(config, num_classes=num_classes)
    if checkpoint:
        load_checkpoint(model, checkpoint, map_location='cpu', logger='silent')
    model.train()
    eval_size = eval_size_of(cfg)
    terms = model_terms(model)
    if not terms:
        raise ValueError(f'{config}: the model has no head with per-box loss weighters '
                         f'(plb_mm BoxWeighted* heads)')
    configured = {(p, t): list(h.loss_weighters.get(t, [])) for p, t, _, h in terms}
    for spec, ws in (add_weighters or {}).items():
        path, _, term = spec.rpartition('.')
        if (path, term) not in configured:
            raise ValueError(f'{spec}: not a weightable term of {config}; terms: '
                             f'{[f"{p}.{t}" for p, t in configured]}')
        configured[(path, term)] += [TASK_UTILS.build(w) for w in ws]
    params = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    bb = torch.cat([torch.full((p.numel(), ), n.startswith(('backbone.', 'neck.')))
                    for n, p in params])
    acc = {(p, t): {g: dict(n=0, w_sum=0.0, loss_none=0.0, loss_w=0.0, grad_none=0.0,
                            grad_w=0.0, grad_bb_none=0.0, grad_bb_w=0.0) for g in GROUPS}
           for p, t, _, _ in terms}
    tot = {(p, t): dict(loss_none=0.0, loss_w=0.0, grad_none=0.0, grad_w=0.0,
                        grad_bb_none=0.0, grad_bb_w=0.0) for p, t, _, _ in terms}
    batches = config_batches(cfg, num_batches, batch_size, seed)
    try:
        for bi, batch in enumerate(batches):
            data = model.data_preprocessor(batch, True)
            factors = area_factors_of(data['data_samples'], eval_size)
            for mode in ('none', 'w'):
                full = {}
                for group in (None, ) + GROUPS:
                    masks = {}
                    for p, t, _, h in terms:
                        masks[(p, t)] = GroupProbeWeighter(group, factors)
                        base = configured[(p, t)] if mode == 'w' else []
                        h.loss_weighters[t] = base + [masks[(p, t)]]
                    torch.manual_seed(seed * 1000 + bi)
                    losses = model.loss(data['inputs'], data['data_samples'])
                    for p, t, key, h in terms:
                        g = _flat_grad(_term_loss(losses, key), params)
                        a = acc[(p, t)]
                        if group is None:
                            full[(p, t)] = g
                            den = float(g @ g)
                            den_bb = float(g[bb] @ g[bb])
                            tot[(p, t)][f'grad_{mode}'] += den
                            tot[(p, t)][f'grad_bb_{mode}'] += den_bb
                            seen = masks[(p, t)].seen
                            if not seen:
                                continue
                            boxes, groups = seen[-1]['boxes'], seen[-1]['groups']
                            w = torch.ones(len(boxes))
                            for wt in (configured[(p, t)] if mode == 'w' else []):
                                w = w * wt(boxes)
                            lw = boxes.losses() * w
                            tot[(p, t)][f'loss_{mode}'] += float(lw.sum())
                            for gi, name in enumerate(groups):
                                a[name][f'loss_{mode}'] += float(lw[gi])
                                if mode == 'w':
                                    a[name]['n'] += 1
                                    a[name]['w_sum'] += float(w[gi])
                        else:
                            gf = full[(p, t)]
                            g = g - gf  # the group's own gradient (the loss is linear in w)
                            a[group][f'grad_{mode}'] += float(g @ gf)
                            a[group][f'grad_bb_{mode}'] += float(g[bb] @ gf[bb])
                    model.zero_grad(set_to_none=True)
    finally:
        for p, t, _, h in terms:
            h.loss_weighters[t] = list(configured[(p, t)])
            if not h.loss_weighters[t]:
                del h.loss_weighters[t]
    out = {}
    for p, t, _, _ in terms:
        T, groups = tot[(p, t)], {}
        for g, a in acc[(p, t)].items():
            groups[g] = dict(
                n=a['n'] / len(batches), mean_w=a['w_sum'] / a['n'] if a['n'] else float('nan'),
                **{k: a[k] / T[k] if T[k] else float('nan')
                   for k in ('loss_none', 'loss_w', 'grad_none', 'grad_w', 'grad_bb_none',
                             'grad_bb_w')})
        out[TERM_NAMES[(p, t)]] = dict(
            weighted_by=', '.join(type(w).__name__ for w in configured[(p, t)]) or '-',
            groups=groups)
    return dict(terms=out, images=len(batches) * batch_size, eval_size=eval_size)


def format_loss_share(stats: Dict) -> str:
    """A markdown table: one row per term and group, shares in %."""
    lines = ['| term | weighted by | group | entries / batch | mean weight | loss share: none'
             ' -> weighted | gradient share, all parameters | gradient share, backbone + neck |',
             '|---|---|---|---|---|---|---|---|']

    def pct(x):
        return '-' if x != x else f'{100 * x:.1f}'

    for name, term in stats['terms'].items():
        for g, s in term['groups'].items():
            if not s['n']:
                continue
            mw = '-' if s['mean_w'] != s['mean_w'] else f"{s['mean_w']:.2f}"
            lines.append(
                f"| {name} | {term['weighted_by']} | {g} | {s['n']:.0f} | {mw} | "
                f"{pct(s['loss_none'])} -> {pct(s['loss_w'])} | "
                f"{pct(s['grad_none'])} -> {pct(s['grad_w'])} | "
                f"{pct(s['grad_bb_none'])} -> {pct(s['grad_bb_w'])} |")
    return '\n'.join(lines)
