"""What an assigner that uses class scores (``IoUClsAwareAssigner``) makes
positive, compared with the same head's assignment without scores (which is
``MaxIoUAssigner``'s), per ground-truth size band. Used by
``tools/analysis_tools/assign_stats.py``."""
from typing import Dict, List, Optional

import torch
from mmengine.runner import load_checkpoint

from mmdet.structures.bbox import bbox_overlaps

from .benchmark import build_for_benchmark, synthetic_batches
from .loss_share import area_factors_of, config_batches, eval_size_of

BANDS = (('small', 0, 32**2), ('medium', 32**2, 96**2), ('large', 96**2, float('inf')))


def _assign(head, anchors, valid, cls_scores, gts, metas, with_scores: bool) -> List:
    """The head's sampling results, with or without its class scores handed
    to the assigner (``get_targets(..., cls_scores=...)``)."""
    return head.get_targets(anchors, valid, gts, metas, return_sampling_results=True,
                            cls_scores=cls_scores if with_scores else None)[5]


def _bands(boxes, area_factor):
    # COCO's bands are areas in the evaluation frame: undo the resize
    area = (boxes[:, 2:] - boxes[:, :2]).prod(-1) * area_factor
    return [(name, (area >= lo) & (area < hi)) for name, lo, hi in BANDS]


def assign_stats(config: str, checkpoint: str, images: int = 16, batch_size: int = 4,
                 data_root: Optional[str] = None, seed: int = 0) -> Dict:
    """Assign the anchors of the trained dense head of ``config`` on
    ``images`` training images with and without the head's detached
    probabilities. The images are the config's own training set through its
    training pipeline (drawn with ``seed``; size bands in its evaluation frame,
    e.g. BCCD's 416x416), or, with ``data_root``, the synthetic smears there
    at the config's training scale.

    Returns ``{'images': n, 'scale': (w, h), 'bands': {band: {'gts', 'base',
    'scored', 'added_iou'}}}``: GT, positive counts (without / with scores)
    summed over the images, and the IoU with their GT of the anchors that
    only the scores made positive.
    """
    from plb_mm.models.dense_heads import BoxWeightedAnchorHeadMixin
    model, cfg = build_for_benchmark(config)
    load_checkpoint(model, checkpoint, map_location='cpu', logger='silent')
    head = model.bbox_head
    if (not getattr(head.assigner, 'uses_scores', False)
            or not isinstance(head, BoxWeightedAnchorHeadMixin)):
        raise ValueError(f'{config}: the head ({type(head).__name__}) and its assigner '
                         f'({type(head.assigner).__name__}) do not assign with class scores')
    num_batches = -(-images // batch_size)
    if data_root is None:
        batches, eval_size = config_batches(cfg, num_batches, batch_size, seed), eval_size_of(cfg)
    else:
        scale = next(t['scale'] for t in cfg.train_dataloader.dataset.pipeline
                     if t['type'] == 'Resize')
        batches, eval_size = synthetic_batches(num_batches, batch_size, scale, data_root), None
    bands = {name: dict(gts=0, base=0, scored=0, added_iou=[]) for name, _, _ in BANDS}
    n = 0
    model.eval()
    for batch in batches:
        with torch.no_grad():
            data = model.data_preprocessor(batch, True)
            gts = [s.gt_instances for s in data['data_samples']]
            metas = [s.metainfo for s in data['data_samples']]
            cls_scores, _ = head(model.extract_feat(data['inputs']))
            anchors, valid = head.get_anchors([c.shape[-2:] for c in cls_scores], metas,
                                              device=cls_scores[0].device)
            base, scored = (_assign(head, anchors, valid, cls_scores, gts, metas, scores)
                            for scores in (False, True))
        factors = area_factors_of(data['data_samples'], eval_size)
        for r0, r1, gt, f in zip(base, scored, gts, factors):
            n += 1
            for name, sel in _bands(gt.bboxes, f):
                bands[name]['gts'] += int(sel.sum())
            for key, r in (('base', r0), ('scored', r1)):
                for name, sel in _bands(r.pos_gt_bboxes, f):
                    bands[name][key] += int(sel.sum())
            added = ~torch.isin(r1.pos_inds, r0.pos_inds)
            iou = bbox_overlaps(r1.pos_priors[added], r1.pos_gt_bboxes[added], is_aligned=True)
            for name, sel in _bands(r1.pos_gt_bboxes[added], f):
                bands[name]['added_iou'].append(iou[sel])
    for b in bands.values():
        b['added_iou'] = torch.cat(b['added_iou']) if b['added_iou'] else torch.zeros(0)
    h, w = data['inputs'].shape[-2:]
    return dict(images=n, scale=(w, h), bands=bands)


def format_assign_stats(stats: Dict) -> str:
    n = stats['images']
    lines = ['| GT band | GTs / image | positives / image, no scores | with scores | '
             'added by the scores: median IoU with GT (min) |', '|---|---|---|---|---|']
    for name, b in stats['bands'].items():
        iou = b['added_iou']
        iou_txt = f'{iou.median():.2f} ({iou.min():.2f})' if len(iou) else '-'
        lines.append(f"| {name} | {b['gts'] / n:.1f} | {b['base'] / n:.1f} | "
                     f"{b['scored'] / n:.1f} | {iou_txt} |")
    return '\n'.join(lines)
