"""What BDE sees on sparse annotations: the boxes density energy of the
sampled RoIs that lie on *unlabelled* cells (annotations dropped by
``sparsify``) against those on true background (issue 12). Used by
``tools/analysis_tools/bde_energy.py``.

BDE works if the RoIs on cells nobody boxed (the deviation loss) get a low
energy and those on background a high one. For a model whose config trains
on a sparse set (``train_dataloader.dataset.sparsify``), on images of that
training set (its pipeline without random flips), the RoI head's
classification term is probed through the weighting mechanism (a weighter
that records the term's boxes and weighs 1) and its sampled RoIs are put in
groups by their IoU with the image's *full* annotations (the file before
sparsifying):

- ``positive``: matched to a kept box (BDE leaves them at 1);
- ``unlabelled cell``: a negative with IoU >= ``iou_thr`` with a dropped cell;
- ``partial overlap``: a negative overlapping some cell below ``iou_thr``;
- ``background``: a negative overlapping no cell.

Per group: RoIs per image, mean energy (:func:`boxes_density_energy` of the
image's sampled RoIs, as ``BDEWeighter`` computes it), and the share of the
term's loss without and with BDE's weights.
"""
import json
from typing import Dict, List, Optional

import numpy as np
import torch
from mmengine.dataset import pseudo_collate
from mmengine.runner import load_checkpoint

from mmdet.registry import DATASETS
from mmdet.structures.bbox import bbox_overlaps

from ..models.task_modules.weighters import BaseBoxWeighter, BDEWeighter, WeightingBoxes
from .benchmark import build_for_benchmark
from .config_edit import find_num_classes

GROUPS = ('positive', 'unlabelled cell', 'partial overlap', 'background')


class _Recorder(BaseBoxWeighter):
    """Weighs every box 1 and keeps the boxes it was handed."""

    def __init__(self):
        self.seen: List[WeightingBoxes] = []

    def weights(self, boxes: WeightingBoxes) -> torch.Tensor:
        self.seen.append(boxes)
        return boxes.pred_boxes.new_ones(len(boxes))


def _full_boxes(ann_file: str) -> Dict[int, np.ndarray]:
    """Per image id, the (n, 4) x1y1x2y2 boxes of the full annotation file."""
    with open(ann_file) as f:
        coco = json.load(f)
    out: Dict[int, list] = {img['id']: [] for img in coco['images']}
    for a in coco['annotations']:
        if not a.get('iscrowd', 0):
            x, y, w, h = a['bbox']
            out[a['image_id']].append([x, y, x + w, y + h])
    return {k: np.asarray(v, dtype=np.float32).reshape(-1, 4) for k, v in out.items()}


def group_rois(rois: torch.Tensor, is_pos: torch.Tensor, cells: torch.Tensor,
               dropped: torch.Tensor, iou_thr: float = 0.5) -> List[str]:
    """The group (:data:`GROUPS`) of each RoI of one image.

    Args:
        rois (Tensor): (n, 4) the image's sampled RoIs.
        is_pos (Tensor): (n, ) bool, matched to a (kept) ground truth.
        cells (Tensor): (m, 4) every cell of the full annotations.
        dropped (Tensor): (m, ) bool, cells whose annotation was dropped.
    """
    if len(cells):
        iou = bbox_overlaps(rois, cells)
        best, arg = iou.max(1)
    else:
        best = rois.new_zeros(len(rois))
        arg = torch.zeros(len(rois), dtype=torch.long)
    out = []
    for pos, b, j in zip(is_pos.tolist(), best.tolist(), arg.tolist()):
        if pos:
            out.append('positive')
        elif b >= iou_thr and len(cells) and bool(dropped[j]):
            out.append('unlabelled cell')
        elif b > 0:
            out.append('partial overlap')
        else:
            out.append('background')
    return out


def bde_energy(config: str, checkpoint: Optional[str] = None, num_images: int = 8,
               batch_size: int = 2, iou_thr: float = 0.5, seed: int = 0) -> Dict:
    """Energies and loss shares of the RoI groups (module docstring).

    Returns ``{'images': n, 'groups': {group: {'rois', 'mean_energy',
    'loss_none', 'loss_bde'}}, 'sparsify': dict}`` (``rois`` per image).
    """
    from mmengine.config import Config
    num_classes = find_num_classes(Config.fromfile(config).model) or 3
    model, cfg = build_for_benchmark(config, num_classes=num_classes)
    ds_cfg = cfg.train_dataloader.dataset
    if not ds_cfg.get('sparsify'):
        raise ValueError(f'{config}: its training set is not sparse '
                         f'(train_dataloader.dataset.sparsify is not set)')
    if checkpoint:
        load_checkpoint(model, checkpoint, map_location='cpu', logger='silent')
    head = getattr(getattr(model, 'roi_head', None), 'bbox_head', None)
    if head is None or not hasattr(head, 'loss_weighters'):
        raise ValueError(f'{config}: no RoI head with per-box loss weighters '
                         f'(BoxWeightedShared2FCBBoxHead)')
    ds_cfg = ds_cfg.copy()
    ds_cfg.pipeline = [t for t in ds_cfg.pipeline if 'Flip' not in t['type']]
    ds = DATASETS.build(ds_cfg)
    full_file = ds_cfg.data_root.rstrip('/') + '/' + ds_cfg.ann_file \
        if ds_cfg.get('data_root') else ds_cfg.ann_file
    full = _full_boxes(full_file)
    n = min(num_images, len(ds))
    acc = {g: dict(rois=0, e_sum=0.0, loss_none=0.0, loss_bde=0.0) for g in GROUPS}
    tot = dict(loss_none=0.0, loss_bde=0.0)
    configured = list(head.loss_weighters.get('cls', []))
    bde = BDEWeighter()
    model.train()
    try:
        for start in range(0, n, batch_size):
            items = [ds[i] for i in range(start, min(n, start + batch_size))]
            data = model.data_preprocessor(pseudo_collate(items), True)
            rec = _Recorder()
            head.loss_weighters['cls'] = [rec]
            torch.manual_seed(seed * 1000 + start)
            with torch.no_grad():
                model.loss(data['inputs'], data['data_samples'])
            boxes = rec.seen[-1]
            energy = bde(boxes)
            losses = boxes.losses()
            tot['loss_none'] += float(losses.sum())
            tot['loss_bde'] += float((losses * energy).sum())
            for k, sample in enumerate(data['data_samples']):
                sel = boxes.img_inds == k
                sx, sy = sample.metainfo['scale_factor']
                cells = torch.from_numpy(full[sample.metainfo['img_id']]) * \
                    torch.tensor([sx, sy, sx, sy])
                kept = sample.gt_instances.bboxes
                kept = getattr(kept, 'tensor', kept)
                if len(cells) and len(kept):
                    dropped = bbox_overlaps(cells, kept).max(1)[0] < 0.99
                else:
                    dropped = torch.ones(len(cells), dtype=torch.bool)
                groups = group_rois(boxes.pred_boxes[sel], boxes.is_pos[sel], cells, dropped,
                                    iou_thr)
                for g, e, l in zip(groups, energy[sel].tolist(), losses[sel].tolist()):
                    a = acc[g]
                    a['rois'] += 1
                    a['e_sum'] += e
                    a['loss_none'] += l
                    a['loss_bde'] += l * e
    finally:
        head.loss_weighters['cls'] = configured
        if not configured:
            del head.loss_weighters['cls']
    groups = {}
    for g, a in acc.items():
        groups[g] = dict(
            rois=a['rois'] / n, mean_energy=a['e_sum'] / a['rois'] if a['rois'] else float('nan'),
            loss_none=a['loss_none'] / tot['loss_none'] if tot['loss_none'] else float('nan'),
            loss_bde=a['loss_bde'] / tot['loss_bde'] if tot['loss_bde'] else float('nan'))
    return dict(images=n, groups=groups, sparsify=dict(ds_cfg.sparsify))


def format_bde_energy(stats: Dict) -> str:
    lines = ['| RoI group | RoIs / image | mean energy (BDE weight of negatives) | '
             'loss share, no BDE | with BDE |', '|---|---|---|---|---|']
    for g, s in stats['groups'].items():
        def f(x, pct=True):
            return '-' if x != x else (f'{100 * x:.1f}' if pct else f'{x:.3f}')
        lines.append(f"| {g} | {s['rois']:.1f} | {f(s['mean_energy'], False)} | "
                     f"{f(s['loss_none'])} | {f(s['loss_bde'])} |")
    return '\n'.join(lines)
