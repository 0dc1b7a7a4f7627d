"""What SLA-Det's pseudo-label and triplet terms see: the confidence of the
model's predictions for labelled cells (inside the regions), for the hidden
cells outside them, and the candidates the terms draw from, per confidence
threshold (issue 13: why PL / the triplet fire or not).

Confidence is the head's ``conf = obj x max_c cls_c`` (:func:`select_outside_predictions`).
For a cell, its *best confidence* is the highest confidence of a prediction
whose decoded box overlaps the cell's box at IoU >= ``iou_thr`` (any prior,
any class). The model runs in training mode on batches of the config's own
training pipeline, as the loss sees them (BatchNorm on batch statistics; the
running statistics are restored afterwards), without gradients.
"""
import os
from typing import Dict, Optional, Sequence, Tuple

import torch
from mmengine.runner import load_checkpoint

from mmdet.structures.bbox import HorizontalBoxes, bbox_overlaps

from ..engine.hooks.pseudo_label_quality_hook import (PseudoLabelQualityHook,
                                                      hidden_outside_regions,
                                                      match_pseudo_labels)
from ..models.dense_heads.sladet_yolox_head import (SLADetYOLOXHead,
                                                    select_outside_predictions)
from .benchmark import build_for_benchmark
from .loss_share import config_batches

__all__ = ['candidate_stats', 'format_candidate_stats', 'best_confidence']

DEFAULT_THRESHOLDS = (0.3, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95)


def best_confidence(pred_bboxes: torch.Tensor, conf: torch.Tensor, gt_bboxes: torch.Tensor,
                    iou_thr: float = 0.5) -> Tuple[torch.Tensor, torch.Tensor]:
    """Per GT box ``(g,)``: the highest ``conf`` among predictions whose box
    has IoU ``>= iou_thr`` with it (0 when none has), and the index of that
    prediction (-1 when none)."""
    if len(gt_bboxes) == 0 or len(pred_bboxes) == 0:
        return conf.new_zeros(len(gt_bboxes)), torch.full((len(gt_bboxes),), -1,
                                                          dtype=torch.long)
    ious = bbox_overlaps(gt_bboxes.float(), pred_bboxes.float())
    masked = torch.where(ious >= iou_thr, conf[None, :].float(), conf.new_full((), -1.).float())
    best, idx = masked.max(dim=1)
    none = best < 0
    return best.clamp(min=0), idx.masked_fill(none, -1)


def _head_of(model) -> SLADetYOLOXHead:
    heads = [m for m in model.modules() if isinstance(m, SLADetYOLOXHead)]
    if not heads:
        raise ValueError('the model has no SLADetYOLOXHead')
    return heads[0]


def candidate_stats(config: str, checkpoints: Sequence[Optional[str]], hidden_ann: str,
                    num_batches: int = 4, batch_size: int = 4, seed: int = 0,
                    thresholds: Sequence[float] = DEFAULT_THRESHOLDS,
                    iou_thr: float = 0.5) -> Dict:
    """Measure, for each checkpoint (``None``: random init), over the same
    training batches:

    - ``labelled``: per threshold, the share of the labelled GT cells (inside
      the regions) whose best confidence exceeds it;
    - ``hidden``: the same for the hidden cells of ``hidden_ann`` whose
      centre lies outside every region (what PL may find);
    - ``candidates``: per threshold, the outside predictions after the head's
      class-agnostic NMS per image, and their precision against the hidden
      cells (same class, IoU ``>= iou_thr``, one-to-one);
    - ``pl``: the pseudo labels of the head's own rule
      (:meth:`SLADetYOLOXHead.pseudo_label_mask`) per image and their
      precision (None without a PL term); ``triplet_per_img``: the
      candidates of :meth:`SLADetYOLOXHead.triplet_mask` per image;
    - ``entropy``: median class entropy (bits) of the candidates above t0;
    - ``labelled_best``: medians, over the labelled cells that have one, of
      the objectness, class probability and IoU of the cell's best
      prediction (YOLOX trains the class probability towards the IoU, so
      ``conf`` is bounded by how well the boxes fit).

    Returns ``{'images': int, 'thresholds': [...], 'head_thresholds': {...},
    'rows': {checkpoint: {...}}}``.
    """
    from mmengine.config import Config

    from .config_edit import find_num_classes
    if not os.path.isfile(hidden_ann):
        raise FileNotFoundError(f'{hidden_ann}: no such file (the COCO file with every cell '
                                f'of the training images)')
    num_classes = find_num_classes(Config.fromfile(config).model) or 1
    model, cfg = build_for_benchmark(config, num_classes=num_classes)
    head = _head_of(model)
    batches = config_batches(cfg, num_batches, batch_size, seed)
    classes = cfg.train_dataloader.dataset.get('metainfo', {}).get('classes')
    if classes is None:
        from mmdet.registry import DATASETS
        classes = DATASETS.get(cfg.train_dataloader.dataset.type).METAINFO['classes']
    hidden = PseudoLabelQualityHook.load_hidden(hidden_ann, classes)
    thr = head.thresholds
    thresholds = sorted(float(t) for t in thresholds)
    floor = min(thresholds + [thr['t0'], thr['t1']])
    min_area = head.pseudo_label_cfg['min_area'] if head.pseudo_label_cfg else None
    rows = {}
    for ckpt in checkpoints:
        if ckpt:
            load_checkpoint(model, ckpt, map_location='cpu', logger='silent')
        buffers = {k: v.clone() for k, v in model.named_buffers()}
        model.train()
        lab_conf, hid_conf, ent, parts = [], [], [], []
        cand = {t: [0, 0] for t in thresholds}  # predictions, true
        pl, trip, images = [0, 0], 0, 0
        with torch.no_grad():
            for batch in batches:
                data = model.data_preprocessor(batch, True)
                outs = model(data['inputs'], data['data_samples'], mode='tensor')
                boxes, cls_logits, obj_logits = head.flat_predictions(*outs[:3])
                cls_p, obj_p = cls_logits.sigmoid(), obj_logits.sigmoid()
                for i, sample in enumerate(data['data_samples']):
                    meta = sample.metainfo
                    b = HorizontalBoxes(boxes[i].float())
                    b.clip_(meta['img_shape'][:2])
                    b = b.tensor
                    conf = cls_p[i].max(dim=1).values * obj_p[i]
                    gt = sample.gt_instances.bboxes
                    gt = getattr(gt, 'tensor', gt)
                    best, idx = best_confidence(b, conf, gt, iou_thr)
                    lab_conf.append(best)
                    hit = idx >= 0
                    if hit.any():  # what the best prediction of a labelled cell is made of
                        j = idx[hit]
                        iou = bbox_overlaps(gt[hit].float(), b[j], is_aligned=True)
                        parts.append(torch.stack([obj_p[i][j], cls_p[i][j].max(dim=1).values,
                                                  iou], dim=1))
                    gt_b, gt_l = hidden_outside_regions(hidden, meta)
                    hid_conf.append(best_confidence(b, conf, gt_b, iou_thr)[0])
                    c = select_outside_predictions(b, cls_p[i], obj_p[i],
                                                   head.regions_of(meta, b.device), floor,
                                                   thr['nms_iou'], max_per_img=10 ** 6)
                    for t in thresholds:
                        k = c.scores > t
                        cand[t][0] += int(k.sum())
                        cand[t][1] += match_pseudo_labels(c.bboxes[k], c.scores[k],
                                                          c.labels[k], gt_b, gt_l, iou_thr)
                    if head.pseudo_label_cfg is not None:
                        k = head.pseudo_label_mask(c)
                        pl[0] += int(k.sum())
                        pl[1] += match_pseudo_labels(c.bboxes[k], c.scores[k], c.labels[k],
                                                     gt_b, gt_l, iou_thr)
                    trip += int(head.triplet_mask(c).sum())
                    ent.append(c.entropy[c.scores > thr['t0']])
                    images += 1
        model.load_state_dict(buffers, strict=False)
        lab, hid, ent = torch.cat(lab_conf), torch.cat(hid_conf), torch.cat(ent)
        parts = torch.cat(parts) if parts else torch.zeros(0, 3)
        med = parts.median(dim=0).values.tolist() if len(parts) else [float('nan')] * 3
        rows[ckpt or 'random init'] = dict(
            labelled={t: float((lab > t).float().mean()) if len(lab) else float('nan')
                      for t in thresholds},
            hidden={t: float((hid > t).float().mean()) if len(hid) else float('nan')
                    for t in thresholds},
            num_labelled=len(lab), num_hidden=len(hid),
            labelled_max=float(lab.max()) if len(lab) else float('nan'),
            hidden_max=float(hid.max()) if len(hid) else float('nan'),
            candidates={t: dict(per_img=cand[t][0] / images,
                                precision=cand[t][1] / cand[t][0] if cand[t][0] else None)
                        for t in thresholds},
            pl=None if min_area is None else dict(
                per_img=pl[0] / images, precision=pl[1] / pl[0] if pl[0] else None),
            triplet_per_img=trip / images,
            entropy=float(ent.median()) if len(ent) else None,
            labelled_best=dict(obj=med[0], cls=med[1], iou=med[2]))
    return dict(images=num_batches * batch_size, thresholds=thresholds,
                head_thresholds=dict(thr), min_area=min_area, rows=rows)


def format_candidate_stats(stats: Dict) -> str:
    """Markdown: one table per checkpoint (rows: thresholds) and a summary
    of the terms' own gates."""
    thr = stats['head_thresholds']
    lines = []
    for name, r in stats['rows'].items():
        lines += [f'**{name}**: {r["num_labelled"]} labelled cells (best conf max '
                  f'{r["labelled_max"]:.3f}), {r["num_hidden"]} hidden cells outside the '
                  f'regions (max {r["hidden_max"]:.3f}); best prediction of a labelled '
                  f'cell, medians: obj {r["labelled_best"]["obj"]:.3f}, cls '
                  f'{r["labelled_best"]["cls"]:.3f}, IoU {r["labelled_best"]["iou"]:.3f}', '',
                  '| conf > | labelled cells reached (%) | hidden cells reached (%) | '
                  'outside candidates / image | their precision (%) |',
                  '| --- | --- | --- | --- | --- |']
        for t in stats['thresholds']:
            c = r['candidates'][t]
            prec = '-' if c['precision'] is None else f'{100 * c["precision"]:.1f}'
            lines.append(f'| {t:g} | {100 * r["labelled"][t]:.1f} | {100 * r["hidden"][t]:.1f}'
                         f' | {c["per_img"]:.2f} | {prec} |')
        pl = r['pl']
        ent = '-' if r['entropy'] is None else f'{r["entropy"]:.3f}'
        if pl is None:
            gate = 'no PL term'
        else:
            prec = '-' if pl['precision'] is None else f'{100 * pl["precision"]:.1f} %'
            t2 = 'off' if thr['t2'] is None else f'< {thr["t2"]:g} bits'
            gate = (f'PL gate (conf > {thr["t1"]:g}, area > {stats["min_area"]:g} px^2, '
                    f'entropy {t2}): {pl["per_img"]:.2f} pseudo labels / image, precision '
                    f'{prec}')
        lines += ['', f'{gate}; triplet band ({thr["t0"]:g}, {thr["t1"]:g}]: '
                  f'{r["triplet_per_img"]:.2f} candidates / image; median entropy of the '
                  f'candidates above {thr["t0"]:g}: {ent} bits', '']
    return '\n'.join(lines)
