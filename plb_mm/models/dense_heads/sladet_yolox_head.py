"""SLA-Det's loss terms on mmdet's YOLOX head (SPEC 4; Rehman et al.,
Section 4.3, Eqs. 4-12).

A training image is fully annotated inside its *labelled regions* and unknown
outside. The head reads them from each data sample's
``metainfo['labeled_regions']``: ``np.float32 (k, 4)`` x1y1x2y2 in the input
frame (``PackSLADetInputs``); the key missing (or ``None``) means the whole
image is labelled, ``(0, 4)`` means nothing is.

Terms (each switchable in the config):

- **LR** (Eq. 4, ``lr_loss=True``): objectness loss only on the priors whose
  centre lies inside a labelled region, normalised by their count; class and
  box (and L1) losses on the GT-matched positives as in YOLOX.
- **PL** (Eqs. 5-7, ``pseudo_label=dict(min_area=...)``, gain 0.1): pseudo
  labels from the detached predictions outside the regions; the priors
  outside the regions get objectness / class / box loss only near a pseudo box.
- **Triplet** (Eqs. 8-11, ``triplet=dict(...)``, gain 0.1): RoIAlign features
  (stride-8 neck level) of the uncertain predictions outside the regions
  against the batch's GT features; switched by epoch by ``TripletSwitchHook``.

Conventions (also in ``docs/sladet.md``, section "Head"):

- A prior's *centre* is the centre of its grid cell, ``(x + s/2, y + s/2)``
  (mmdet's ``MlvlPointGenerator`` with ``offset=0`` gives the cell's top-left
  corner ``(x, y)``; YOLOX's assigner adds ``s/2`` the same way). A point is
  *inside* when ``x1 <= x < x2`` and ``y1 <= y < y2`` for some region.
- A *prediction* is outside when the centre of its decoded box is outside
  every region (an object whose centre lies in a labelled region would have
  been annotated, so it is never a pseudo label).
- Confidence = objectness x max class probability (sigmoids); the label is
  the arg-max class.
"""
import math
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
import torch.nn.functional as F
from mmcv.ops import RoIAlign, batched_nms
from mmengine.structures import InstanceData
from torch import Tensor

from mmdet.models.dense_heads import YOLOXHead
from mmdet.models.utils import multi_apply, unpack_gt_instances
from mmdet.registry import MODELS
from mmdet.structures import SampleList
from mmdet.utils import OptInstanceList, reduce_mean

#: Selection thresholds. ``t0 < conf <= t1``: triplet candidates; ``conf > t1``
#: and entropy ``< t2`` bits: pseudo labels; ``nms_iou``: the class-agnostic NMS
#: run first. ``'paper'`` is Section 5.2's implementation details (the paper
#: gives no NMS IoU: 0.65 is YOLOX's test NMS). ``'authors_code'`` is what
#: ``utils/loss.py`` of the authors' YOLOv5 code does: NMS (IoU 0.2,
#: agnostic) over predictions with objectness and confidence > 0.5, then
#: ``conf > 0.95`` -> pseudo label, ``0.60 < conf <= 0.95`` -> triplet. Its
#: entropy test (< 2.7 nats of the *softmax* of the 14 sigmoid class
#: probabilities, at most ln 14 = 2.64) never rejects anything, hence
#: ``t2=None``; its 0.5 pre-NMS floor is below ``t0`` and changes nothing
#: (see :func:`select_outside_predictions`). Its area floor is a fixed
#: 10 px^2 (``pseudo_label.min_area``), its triplet runs for 20 of 30 epochs.
SLADET_THRESHOLDS = {
    'paper': dict(t0=0.70, t1=0.95, t2=0.26, nms_iou=0.65),
    'authors_code': dict(t0=0.60, t1=0.95, t2=None, nms_iou=0.20),
}

_PSEUDO_LABEL_DEFAULTS = dict(min_area=None, loss_weight=0.1, max_per_img=100)
_TRIPLET_DEFAULTS = dict(level=0, roi_size=4, margin=0.05, sign='standard',
                         loss_weight=0.1, max_per_img=100)


def labeled_region_mask(points: Tensor, regions: Optional[Tensor]) -> Tensor:
    """Which points lie inside a labelled region (half-open boxes).

    Args:
        points (Tensor): ``(n, 2)`` x, y.
        regions (Tensor, optional): ``(k, 4)`` x1, y1, x2, y2; ``None`` = the
            whole image (every point inside), ``(0, 4)`` = no point inside.

    Returns:
        Tensor: bool ``(n,)``, true where ``x1 <= x < x2 and y1 <= y < y2``
        for some region.
    """
    if regions is None:
        return points.new_ones(points.size(0), dtype=torch.bool)
    if regions.numel() == 0:
        return points.new_zeros(points.size(0), dtype=torch.bool)
    x, y = points[:, 0:1], points[:, 1:2]
    inside = ((x >= regions[:, 0]) & (x < regions[:, 2])
              & (y >= regions[:, 1]) & (y < regions[:, 3]))
    return inside.any(dim=1)


def class_entropy(cls_probs: Tensor) -> Tensor:
    """Eq. 5: ``E = -sum_c p_c log2 p_c`` (bits) of a prediction's class
    distribution.

    YOLOX's class outputs are independent sigmoids, so they are first
    normalised to sum to 1 (``p_c = sigma_c / sum sigma``); ``0 log 0 = 0``.

    Args:
        cls_probs (Tensor): ``(n, C)`` class probabilities (sigmoids).

    Returns:
        Tensor: ``(n,)`` entropies in bits, in ``[0, log2 C]``.
    """
    p = cls_probs.float()
    p = p / p.sum(dim=-1, keepdim=True).clamp(min=torch.finfo(p.dtype).tiny)
    return -torch.xlogy(p, p).sum(dim=-1) / math.log(2.0)


def triplet_similarity_loss(pred_feats: Tensor, pred_labels: Tensor, gt_feats: Tensor,
                            gt_labels: Tensor, margin: float = 0.05,
                            sign: str = 'standard') -> Tuple[Tensor, int]:
    """Eqs. 8-11: the similarity triplet term of uncertain predictions.

    For a prediction ``k`` with feature ``f_k`` and label ``c_k``, with cosine
    similarities ``s(f_k, g_j)`` to the GT features ``g_j``:
    ``min_same = min_{j: c_j = c_k} s`` (Eq. 8), ``max_diff = max_{j: c_j != c_k} s``
    (Eq. 9) and

    - ``sign='standard'``: ``Tri_k = max(0, max_diff - min_same + margin)``
      (pull the prediction towards its class, SPEC 4's default);
    - ``sign='paper'``: ``Tri_k = max(0, min_same - (max_diff + margin))``
      (Eq. 10 as printed, and the authors' code).

    ``L = mean_k Tri_k`` (Eq. 11) over the predictions that have at least one
    GT of their class and one of another class (the others have no triplet,
    as in the authors' code).

    Args:
        pred_feats (Tensor): ``(m, d)``. pred_labels (Tensor): ``(m,)``.
        gt_feats (Tensor): ``(n, d)``. gt_labels (Tensor): ``(n,)``.
        margin (float): 0.05 in the paper.
        sign (str): ``'standard'`` or ``'paper'``.

    Returns:
        tuple: the loss (a scalar, 0 connected to both inputs' graphs when no
        prediction qualifies) and the number of predictions averaged.
    """
    if sign not in ('standard', 'paper'):
        raise ValueError(f"sign must be 'standard' or 'paper', got {sign!r}")
    zero = pred_feats.sum() * 0 + gt_feats.sum() * 0
    if pred_feats.size(0) == 0 or gt_feats.size(0) == 0:
        return zero, 0
    same = pred_labels[:, None] == gt_labels[None, :]
    valid = same.any(dim=1) & (~same).any(dim=1)
    if not bool(valid.any()):
        return zero, 0
    sim = F.normalize(pred_feats[valid], dim=1) @ F.normalize(gt_feats, dim=1).t()
    same = same[valid]
    min_same = sim.masked_fill(~same, float('inf')).min(dim=1).values
    max_diff = sim.masked_fill(same, float('-inf')).max(dim=1).values
    if sign == 'standard':
        tri = (max_diff - min_same + margin).clamp(min=0)
    else:
        tri = (min_same - (max_diff + margin)).clamp(min=0)
    return tri.mean(), int(valid.sum())


@torch.no_grad()
def select_outside_predictions(bboxes: Tensor, cls_probs: Tensor, obj_probs: Tensor,
                               regions: Optional[Tensor], score_thr: float,
                               nms_iou: float, max_per_img: int = 100) -> InstanceData:
    """The predictions of one image outside its labelled regions, after NMS:
    the pool from which pseudo labels and triplet candidates are drawn.

    Keeps the predictions with ``conf = obj x max_c cls_c > score_thr`` whose
    box centre lies outside every region, runs class-agnostic NMS (IoU
    ``nms_iou``) and keeps the ``max_per_img`` best. Filtering by confidence
    before NMS returns the same boxes as NMS over every prediction followed
    by the confidence filter (a box is only ever suppressed by one of higher
    score), so "NMS first" holds for any later filter with a threshold
    ``>= score_thr``; the area and entropy filters are applied after NMS.

    Args:
        bboxes (Tensor): ``(n, 4)`` decoded boxes (input frame).
        cls_probs (Tensor): ``(n, C)`` class sigmoids.
        obj_probs (Tensor): ``(n,)`` objectness sigmoids.
        regions (Tensor, optional): ``(k, 4)``, see :func:`labeled_region_mask`.
        score_thr (float): confidence floor.
        nms_iou (float): NMS IoU threshold.
        max_per_img (int): at most this many are kept (highest confidence).

    Returns:
        InstanceData: ``bboxes (p, 4)``, ``scores (p,)`` (confidence),
        ``labels (p,)``, ``entropy (p,)`` (bits, Eq. 5), sorted by score;
        detached.
    """
    bboxes, cls_probs, obj_probs = bboxes.detach(), cls_probs.detach(), obj_probs.detach()
    max_probs, labels = cls_probs.max(dim=1)
    scores = max_probs * obj_probs
    centres = (bboxes[:, :2] + bboxes[:, 2:]) / 2
    keep = (scores > score_thr) & ~labeled_region_mask(centres, regions)
    idx = keep.nonzero(as_tuple=False).squeeze(1)
    if idx.numel() > 0:
        _, kept = batched_nms(bboxes[idx].float(), scores[idx].float(), labels[idx],
                              dict(type='nms', iou_threshold=nms_iou, class_agnostic=True))
        idx = idx[kept[:max_per_img]]
    return InstanceData(bboxes=bboxes[idx], scores=scores[idx], labels=labels[idx],
                        entropy=class_entropy(cls_probs[idx]))


@MODELS.register_module()
class SLADetYOLOXHead(YOLOXHead):
    """YOLOX head with SLA-Det's labelled-region, pseudo-label and triplet
    losses (see the module docstring for the conventions).

    Args:
        lr_loss (bool): the LR objectness (Eq. 4). ``False``: YOLOX's own
            objectness loss on every prior.
        obj_avg_factor (str): normaliser of the objectness terms that cover
            a subset of the priors. ``'supervised'`` (SPEC 4): the number of
            priors whose objectness is supervised (LR: the priors inside the
            regions of the batch; PL: the priors near a pseudo box), i.e. the
            mean BCE over them, as the authors' YOLOv5 code does.
            ``'num_pos'``: YOLOX's normaliser, the number of positive priors
            (GT-matched for LR, pseudo-matched for PL). mmdet's YOLOX divides
            the objectness loss *summed over all priors* by the number of
            positives (``reduce_mean`` over GPUs, at least 1), so with
            ``'supervised'`` the objectness term is about ``n_supervised /
            n_pos`` times smaller than YOLOX's.
        thresholds (str | dict): ``'paper'`` (t0 0.70, t1 0.95, t2 0.26 bits,
            NMS IoU 0.65), ``'authors_code'`` (0.60 / 0.95 / none / 0.2), see
            :data:`SLADET_THRESHOLDS`; or a dict with the keys ``t0``, ``t1``,
            ``t2`` (``None``: no entropy filter) and ``nms_iou``, or a dict
            with ``preset`` and the keys it overrides.
        pseudo_label (dict, optional): the PL term; ``None`` = off. Keys:
            ``min_area`` (required, px^2 in the input frame: the smallest GT
            box area of the training set, see ``docs/sladet.md``),
            ``loss_weight`` (0.1), ``max_per_img`` (100 pseudo labels at most).
        triplet (dict, optional): the triplet term; ``None`` = off. Keys:
            ``level`` (0: the first, stride-8 level of YOLOX's strides
            (8, 16, 32)), ``roi_size`` (4: RoIAlign output side, average-pooled
            to one vector, as the authors' code), ``margin`` (0.05), ``sign``
            (``'standard'`` or ``'paper'``), ``loss_weight`` (0.1),
            ``max_per_img`` (100 candidates at most).

    The triplet term is computed when ``triplet`` is set and the attribute
    ``use_triplet`` is true (its initial value); ``TripletSwitchHook`` sets it
    before each training epoch. The head needs the neck features for it:
    :meth:`loss` passes them to :meth:`loss_by_feat` as ``feats``.

    Losses: ``loss_cls``, ``loss_bbox``, ``loss_obj`` (LR), ``loss_l1`` (when
    YOLOX's ``use_l1``); with PL ``loss_pl_cls``, ``loss_pl_bbox``,
    ``loss_pl_obj`` (gain included) and the log value ``num_pseudo`` (pseudo
    labels per image); with the triplet ``loss_triplet`` and ``num_triplet``
    (predictions averaged, per image).

    With ``lr_loss=False``, ``pseudo_label=None`` and ``triplet=None`` it is
    mmdet's ``YOLOXHead`` (same losses, tested exactly).
    """

    def __init__(self,
                 *args,
                 lr_loss: bool = True,
                 obj_avg_factor: str = 'supervised',
                 thresholds: Union[str, dict] = 'paper',
                 pseudo_label: Optional[dict] = None,
                 triplet: Optional[dict] = None,
                 **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if obj_avg_factor not in ('supervised', 'num_pos'):
            raise ValueError("obj_avg_factor must be 'supervised' or 'num_pos', "
                             f'got {obj_avg_factor!r}')
        self.lr_loss = bool(lr_loss)
        self.obj_avg_factor = obj_avg_factor
        self.thresholds = self._resolve_thresholds(thresholds)
        self.pseudo_label_cfg = self._merge_cfg('pseudo_label', pseudo_label,
                                                _PSEUDO_LABEL_DEFAULTS)
        if self.pseudo_label_cfg is not None and self.pseudo_label_cfg['min_area'] is None:
            raise ValueError('pseudo_label needs min_area: the smallest GT box area (px^2, '
                             'input frame) of the training set (docs/sladet.md)')
        self.triplet_cfg = self._merge_cfg('triplet', triplet, _TRIPLET_DEFAULTS)
        if self.triplet_cfg is not None:
            if self.triplet_cfg['sign'] not in ('standard', 'paper'):
                raise ValueError("triplet sign must be 'standard' or 'paper', got "
                                 f"{self.triplet_cfg['sign']!r}")
            level = self.triplet_cfg['level']
            self.triplet_roi_align = RoIAlign(
                output_size=self.triplet_cfg['roi_size'],
                spatial_scale=1.0 / self.strides[level], sampling_ratio=0, aligned=True)
        self.use_triplet = self.triplet_cfg is not None

    @staticmethod
    def _resolve_thresholds(thresholds: Union[str, dict]) -> dict:
        if isinstance(thresholds, str):
            thresholds = dict(preset=thresholds)
        thresholds = dict(thresholds)
        preset = thresholds.pop('preset', None)
        if preset is not None and preset not in SLADET_THRESHOLDS:
            raise ValueError(f'unknown thresholds preset {preset!r}; '
                             f'known: {sorted(SLADET_THRESHOLDS)}')
        out = dict(SLADET_THRESHOLDS[preset]) if preset else dict(t2=None)
        unknown = set(thresholds) - {'t0', 't1', 't2', 'nms_iou'}
        if unknown:
            raise ValueError(f'unknown thresholds keys {sorted(unknown)}')
        out.update(thresholds)
        missing = {'t0', 't1', 'nms_iou'} - set(out)
        if missing:
            raise ValueError(f'thresholds miss {sorted(missing)}')
        if not out['t0'] < out['t1']:
            raise ValueError(f"thresholds need t0 < t1, got {out['t0']} and {out['t1']}")
        return out

    @staticmethod
    def _merge_cfg(name: str, cfg: Optional[dict], defaults: dict) -> Optional[dict]:
        if cfg is None:
            return None
        unknown = set(cfg) - set(defaults)
        if unknown:
            raise ValueError(f'unknown {name} keys {sorted(unknown)}; known: {sorted(defaults)}')
        out = dict(defaults)
        out.update(cfg)
        return out

    # ------------------------------------------------------------------ entry
    def loss(self, x: Tuple[Tensor], batch_data_samples: SampleList) -> dict:
        """As ``BaseDenseHead.loss``, also handing the neck features ``x`` to
        :meth:`loss_by_feat` (the triplet term pools from them)."""
        outs = self(x)
        (batch_gt_instances, batch_gt_instances_ignore,
         batch_img_metas) = unpack_gt_instances(batch_data_samples)
        return self.loss_by_feat(*outs, batch_gt_instances, batch_img_metas,
                                 batch_gt_instances_ignore, feats=x)

    @staticmethod
    def regions_of(img_meta: dict, device: torch.device) -> Optional[Tensor]:
        """``img_meta['labeled_regions']`` as a float tensor ``(k, 4)``, or
        ``None`` (whole image) when the key is missing or ``None``."""
        regions = img_meta.get('labeled_regions')
        if regions is None:
            return None
        return torch.as_tensor(np.asarray(regions, dtype=np.float32),
                               device=device).reshape(-1, 4)

    @staticmethod
    def prior_centres(priors: Tensor) -> Tensor:
        """Cell centres ``(x + s_x / 2, y + s_y / 2)`` of priors ``(n, 4)``
        ``[x, y, s_x, s_y]``."""
        return priors[:, :2] + priors[:, 2:] * 0.5

    # ------------------------------------------------------------------- loss
    def loss_by_feat(
            self,
            cls_scores: Sequence[Tensor],
            bbox_preds: Sequence[Tensor],
            objectnesses: Sequence[Tensor],
            batch_gt_instances: Sequence[InstanceData],
            batch_img_metas: Sequence[dict],
            batch_gt_instances_ignore: OptInstanceList = None,
            feats: Optional[Sequence[Tensor]] = None) -> dict:
        """YOLOX's ``loss_by_feat`` (same steps, same order) with the LR
        objectness and the PL and triplet terms.

        Args:
            cls_scores, bbox_preds, objectnesses, batch_gt_instances,
            batch_img_metas, batch_gt_instances_ignore: as ``YOLOXHead``.
            feats (Sequence[Tensor], optional): the multi-level neck features
                the head ran on; needed only by the triplet term.

        Returns:
            dict[str, Tensor]: the losses (see the class docstring).
        """
        num_imgs = len(batch_img_metas)
        if batch_gt_instances_ignore is None:
            batch_gt_instances_ignore = [None] * num_imgs

        featmap_sizes = [cls_score.shape[2:] for cls_score in cls_scores]
        mlvl_priors = self.prior_generator.grid_priors(
            featmap_sizes,
            dtype=cls_scores[0].dtype,
            device=cls_scores[0].device,
            with_stride=True)

        flatten_cls_preds = [
            cls_pred.permute(0, 2, 3, 1).reshape(num_imgs, -1, self.cls_out_channels)
            for cls_pred in cls_scores
        ]
        flatten_bbox_preds = [
            bbox_pred.permute(0, 2, 3, 1).reshape(num_imgs, -1, 4)
            for bbox_pred in bbox_preds
        ]
        flatten_objectness = [
            objectness.permute(0, 2, 3, 1).reshape(num_imgs, -1)
            for objectness in objectnesses
        ]

        flatten_cls_preds = torch.cat(flatten_cls_preds, dim=1)
        flatten_bbox_preds = torch.cat(flatten_bbox_preds, dim=1)
        flatten_objectness = torch.cat(flatten_objectness, dim=1)
        flatten_priors = torch.cat(mlvl_priors)
        flatten_bboxes = self._bbox_decode(flatten_priors, flatten_bbox_preds)

        (pos_masks, cls_targets, obj_targets, bbox_targets, l1_targets,
         num_fg_imgs) = multi_apply(
             self._get_targets_single,
             flatten_priors.unsqueeze(0).repeat(num_imgs, 1, 1),
             flatten_cls_preds.detach(), flatten_bboxes.detach(),
             flatten_objectness.detach(), batch_gt_instances, batch_img_metas,
             batch_gt_instances_ignore)

        # As YOLOX: 'reduce_mean' over GPUs.
        num_pos = torch.tensor(
            sum(num_fg_imgs), dtype=torch.float, device=flatten_cls_preds.device)
        num_total_samples = max(reduce_mean(num_pos), 1.0)

        pos_masks = torch.cat(pos_masks, 0)
        cls_targets = torch.cat(cls_targets, 0)
        obj_targets = torch.cat(obj_targets, 0)
        bbox_targets = torch.cat(bbox_targets, 0)
        if self.use_l1:
            l1_targets = torch.cat(l1_targets, 0)

        inside = None  # (num_imgs, num_priors): prior centre inside a region
        if self.lr_loss or self.pseudo_label_cfg is not None:
            centres = self.prior_centres(flatten_priors)
            inside = torch.stack([
                labeled_region_mask(centres, self.regions_of(meta, centres.device))
                for meta in batch_img_metas
            ])

        if self.lr_loss:
            loss_obj = self._subset_obj_loss(
                flatten_objectness.view(-1, 1), obj_targets, inside.view(-1),
                num_total_samples)
        else:
            loss_obj = self.loss_obj(flatten_objectness.view(-1, 1),
                                     obj_targets) / num_total_samples
        if num_pos > 0:
            loss_cls = self.loss_cls(
                flatten_cls_preds.view(-1, self.num_classes)[pos_masks],
                cls_targets) / num_total_samples
            loss_bbox = self.loss_bbox(
                flatten_bboxes.view(-1, 4)[pos_masks],
                bbox_targets) / num_total_samples
        else:
            # As YOLOX (mmdet issue 7298): keep the branches in the graph.
            loss_cls = flatten_cls_preds.sum() * 0
            loss_bbox = flatten_bboxes.sum() * 0

        loss_dict = dict(loss_cls=loss_cls, loss_bbox=loss_bbox, loss_obj=loss_obj)

        if self.use_l1:
            if num_pos > 0:
                loss_l1 = self.loss_l1(
                    flatten_bbox_preds.view(-1, 4)[pos_masks],
                    l1_targets) / num_total_samples
            else:
                loss_l1 = flatten_bbox_preds.sum() * 0
            loss_dict.update(loss_l1=loss_l1)

        candidates = None
        if self.pseudo_label_cfg is not None or self._triplet_on():
            candidates = self._outside_predictions(
                flatten_bboxes.detach(), flatten_cls_preds.detach(),
                flatten_objectness.detach(), batch_img_metas)
        if self.pseudo_label_cfg is not None:
            loss_dict.update(self._pseudo_label_loss(
                candidates, flatten_priors, flatten_cls_preds, flatten_bboxes,
                flatten_objectness, inside, pos_masks.view(num_imgs, -1)))
        if self.triplet_cfg is not None:
            loss_dict.update(self._triplet_loss(candidates, batch_gt_instances, feats,
                                                flatten_cls_preds))
        return loss_dict

    def _triplet_on(self) -> bool:
        return self.triplet_cfg is not None and bool(self.use_triplet)

    def _subset_obj_loss(self, obj_preds: Tensor, obj_targets: Tensor, mask: Tensor,
                         num_pos_avg: Union[Tensor, float]) -> Tensor:
        """Objectness loss summed over ``mask`` and divided by the normaliser
        of ``obj_avg_factor`` (``'supervised'``: ``mask``'s count, averaged
        over GPUs, at least 1; ``'num_pos'``: ``num_pos_avg``)."""
        if self.obj_avg_factor == 'supervised':
            avg_factor = max(reduce_mean(mask.sum().float()), 1.0)
        else:
            avg_factor = num_pos_avg
        return self.loss_obj(obj_preds[mask], obj_targets[mask]) / avg_factor

    # ------------------------------------------------------------- selection
    @torch.no_grad()
    def _outside_predictions(self, flatten_bboxes: Tensor, flatten_cls_preds: Tensor,
                             flatten_objectness: Tensor,
                             batch_img_metas: Sequence[dict]) -> List[InstanceData]:
        """Per image, :func:`select_outside_predictions` on the (detached)
        predictions, boxes clipped to ``img_shape``, with the lowest
        threshold a configured term needs (``t1`` for PL, ``t0`` for the
        triplet when it is on)."""
        thr = self.thresholds
        score_thr = thr['t0'] if self._triplet_on() else thr['t1']
        max_per_img = sum(cfg['max_per_img'] for cfg in (self.pseudo_label_cfg, self.triplet_cfg)
                          if cfg is not None)
        results = []
        for i, meta in enumerate(batch_img_metas):
            bboxes = flatten_bboxes[i].float()
            h, w = meta['img_shape'][:2]
            bboxes = torch.stack([bboxes[:, 0].clamp(0, w), bboxes[:, 1].clamp(0, h),
                                  bboxes[:, 2].clamp(0, w), bboxes[:, 3].clamp(0, h)], dim=1)
            results.append(select_outside_predictions(
                bboxes, flatten_cls_preds[i].float().sigmoid(),
                flatten_objectness[i].float().sigmoid(),
                self.regions_of(meta, bboxes.device), score_thr, thr['nms_iou'],
                max_per_img))
        return results

    def pseudo_label_mask(self, candidates: InstanceData) -> Tensor:
        """Eq. 6 on :func:`select_outside_predictions`' output: ``conf > t1``,
        ``area > min_area`` and entropy ``< t2`` (when ``t2`` is set)."""
        b = candidates.bboxes
        area = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
        keep = (candidates.scores > self.thresholds['t1']) & (
            area > self.pseudo_label_cfg['min_area'])
        if self.thresholds['t2'] is not None:
            keep &= candidates.entropy < self.thresholds['t2']
        return keep

    def pseudo_labels(self, candidates: List[InstanceData]) -> List[InstanceData]:
        """The pseudo labels of each image (Eq. 6, at most
        ``pseudo_label.max_per_img``) from :meth:`_outside_predictions`'
        output: what the PL term trains on."""
        return [c[self.pseudo_label_mask(c)][:self.pseudo_label_cfg['max_per_img']]
                for c in candidates]

    @torch.no_grad()
    def predict_pseudo_labels(self, cls_scores: Sequence[Tensor], bbox_preds: Sequence[Tensor],
                              objectnesses: Sequence[Tensor],
                              batch_img_metas: Sequence[dict]) -> List[InstanceData]:
        """The pseudo labels the PL term makes from these head outputs (the
        same selection code as :meth:`loss_by_feat`), per image: ``bboxes
        (p, 4)`` (input frame), ``scores``, ``labels``, ``entropy``;
        detached. For diagnostics (``PseudoLabelQualityHook`` scores them
        against hidden full annotations); needs ``pseudo_label`` set."""
        if self.pseudo_label_cfg is None:
            raise ValueError('predict_pseudo_labels needs the pseudo_label term configured')
        return self.pseudo_labels(self._outside_predictions(
            *self.flat_predictions(cls_scores, bbox_preds, objectnesses), batch_img_metas))

    def flat_predictions(self, cls_scores: Sequence[Tensor], bbox_preds: Sequence[Tensor],
                         objectnesses: Sequence[Tensor]) -> Tuple[Tensor, Tensor, Tensor]:
        """The head's per-level outputs flattened over the priors: decoded
        boxes ``(N, n, 4)`` (input frame), class logits ``(N, n, C)`` and
        objectness logits ``(N, n)``."""
        num_imgs = cls_scores[0].size(0)
        priors = torch.cat(self.prior_generator.grid_priors(
            [c.shape[2:] for c in cls_scores], dtype=cls_scores[0].dtype,
            device=cls_scores[0].device, with_stride=True))

        def flat(maps: Sequence[Tensor], channels: int) -> Tensor:
            return torch.cat([m.permute(0, 2, 3, 1).reshape(num_imgs, -1, channels)
                              for m in maps], dim=1)

        return (self._bbox_decode(priors, flat(bbox_preds, 4)),
                flat(cls_scores, self.cls_out_channels), flat(objectnesses, 1)[..., 0])

    def triplet_mask(self, candidates: InstanceData) -> Tensor:
        """The uncertain predictions: ``t0 < conf <= t1``."""
        s = candidates.scores
        return (s > self.thresholds['t0']) & (s <= self.thresholds['t1'])

    # -------------------------------------------------------------------- PL
    def _pseudo_label_loss(self, candidates: List[InstanceData], flatten_priors: Tensor,
                           flatten_cls_preds: Tensor, flatten_bboxes: Tensor,
                           flatten_objectness: Tensor, inside: Tensor,
                           gt_pos_masks: Tensor) -> Dict[str, Tensor]:
        """Eq. 7. Pseudo labels are assigned by YOLOX's assigner to the
        *eligible* priors: outside every region and not a GT positive. A prior
        is *near* a pseudo box when the assigner considers it for that box
        (SimOTA: its centre lies in the box or within ``center_radius``
        strides of the box centre). Near priors get objectness loss (target 1
        on the assigner's positives, 0 on the rest); the positives get class
        (one-hot x IoU, as YOLOX) and box loss against the pseudo box. Other
        priors outside the regions get nothing."""
        cfg = self.pseudo_label_cfg
        num_imgs = flatten_cls_preds.size(0)
        pseudo = self.pseudo_labels(candidates)
        eligible = ~inside & ~gt_pos_masks
        (obj_masks, obj_targets, pos_masks, cls_targets, bbox_targets,
         num_pos_imgs) = multi_apply(
             self._pseudo_targets_single,
             flatten_priors.unsqueeze(0).repeat(num_imgs, 1, 1),
             flatten_cls_preds.detach(), flatten_bboxes.detach(),
             flatten_objectness.detach(), pseudo, list(eligible))
        num_pos = torch.tensor(sum(num_pos_imgs), dtype=torch.float,
                               device=flatten_cls_preds.device)
        num_pos_avg = max(reduce_mean(num_pos), 1.0)
        obj_masks = torch.cat(obj_masks, 0)
        obj_targets = torch.cat(obj_targets, 0)
        pos_masks = torch.cat(pos_masks, 0)
        cls_targets = torch.cat(cls_targets, 0)
        bbox_targets = torch.cat(bbox_targets, 0)

        w = cfg['loss_weight']
        loss_obj = self._subset_obj_loss(flatten_objectness.view(-1, 1), obj_targets,
                                         obj_masks, num_pos_avg)
        if num_pos > 0:
            loss_cls = self.loss_cls(flatten_cls_preds.view(-1, self.num_classes)[pos_masks],
                                     cls_targets) / num_pos_avg
            loss_bbox = self.loss_bbox(flatten_bboxes.view(-1, 4)[pos_masks],
                                       bbox_targets) / num_pos_avg
        else:
            loss_cls = flatten_cls_preds.sum() * 0
            loss_bbox = flatten_bboxes.sum() * 0
        return dict(loss_pl_cls=w * loss_cls, loss_pl_bbox=w * loss_bbox,
                    loss_pl_obj=w * loss_obj,
                    num_pseudo=flatten_cls_preds.new_tensor(
                        sum(len(p) for p in pseudo) / max(num_imgs, 1)))

    @torch.no_grad()
    def _pseudo_targets_single(self, priors: Tensor, cls_preds: Tensor, decoded_bboxes: Tensor,
                               objectness: Tensor, pseudo: InstanceData,
                               eligible: Tensor) -> tuple:
        """Targets of one image for its pseudo labels.

        Args:
            priors (Tensor): ``(n, 4)`` ``[x, y, s_x, s_y]``.
            cls_preds (Tensor): ``(n, C)`` logits. decoded_bboxes (Tensor):
                ``(n, 4)``. objectness (Tensor): ``(n,)`` logits.
            pseudo (InstanceData): ``bboxes (p, 4)``, ``labels (p,)``.
            eligible (Tensor): bool ``(n,)``, the priors PL may supervise.

        Returns:
            tuple: ``obj_mask (n,)`` bool, ``obj_target (n, 1)``,
            ``pos_mask (n,)`` bool, ``cls_target (q, C)``, ``bbox_target
            (q, 4)`` (rows in prior order), ``q``.
        """
        num_priors = priors.size(0)
        obj_mask = eligible.new_zeros(num_priors)
        obj_target = cls_preds.new_zeros((num_priors, 1))
        pos_mask = eligible.new_zeros(num_priors)
        idx = eligible.nonzero(as_tuple=False).squeeze(1)
        if len(pseudo) == 0 or idx.numel() == 0:
            return (obj_mask, obj_target, pos_mask, cls_preds.new_zeros((0, self.num_classes)),
                    cls_preds.new_zeros((0, 4)), 0)
        sub_priors = torch.cat([self.prior_centres(priors[idx]), priors[idx, 2:]], dim=-1)
        scores = cls_preds[idx].sigmoid() * objectness[idx].unsqueeze(1).sigmoid()
        pred_instances = InstanceData(
            bboxes=decoded_bboxes[idx], scores=scores.sqrt_(), priors=sub_priors)
        gt_instances = InstanceData(bboxes=pseudo.bboxes.to(decoded_bboxes.dtype),
                                    labels=pseudo.labels)
        assign_result = self.assigner.assign(pred_instances=pred_instances,
                                             gt_instances=gt_instances)
        pos = assign_result.gt_inds > 0
        if hasattr(self.assigner, 'get_in_gt_and_in_center_info'):
            near, _ = self.assigner.get_in_gt_and_in_center_info(sub_priors,
                                                                 gt_instances.bboxes)
            near = near | pos
        else:  # an assigner without SimOTA's candidate rule: positives only
            near = pos
        obj_mask[idx[near]] = True
        obj_target[idx[pos]] = 1
        pos_mask[idx[pos]] = True
        matched = assign_result.gt_inds[pos] - 1
        cls_target = F.one_hot(gt_instances.labels[matched], self.num_classes) * \
            assign_result.max_overlaps[pos].unsqueeze(-1)
        bbox_target = gt_instances.bboxes[matched]
        return obj_mask, obj_target, pos_mask, cls_target, bbox_target, int(pos.sum())

    # --------------------------------------------------------------- triplet
    def _triplet_loss(self, candidates: List[InstanceData],
                      batch_gt_instances: Sequence[InstanceData],
                      feats: Optional[Sequence[Tensor]],
                      flatten_cls_preds: Tensor) -> Dict[str, Tensor]:
        """Eqs. 8-11 over the batch: the uncertain predictions of every image
        against every GT box of the batch, features by RoIAlign from
        ``feats[level]`` average-pooled to one vector per box. Gradients reach
        the features of both sides; the boxes and labels are detached."""
        cfg = self.triplet_cfg
        zero = flatten_cls_preds.new_zeros(())
        if not self._triplet_on():
            return dict(loss_triplet=zero, num_triplet=zero.detach())
        if feats is None:
            raise ValueError('the triplet term needs the neck features: call loss(), or '
                             'loss_by_feat(..., feats=x)')
        level_feat = feats[cfg['level']]
        pred = [c[self.triplet_mask(c)][:cfg['max_per_img']] for c in candidates]
        pred_rois = [torch.cat([p.bboxes.new_full((len(p), 1), i), p.bboxes], dim=1)
                     for i, p in enumerate(pred)]
        gt_rois = [torch.cat([g.bboxes.new_full((len(g), 1), i), g.bboxes], dim=1)
                   for i, g in enumerate(batch_gt_instances)]
        num_pred = sum(len(r) for r in pred_rois)
        num_gt = sum(len(r) for r in gt_rois)
        if num_pred == 0 or num_gt == 0:
            return dict(loss_triplet=level_feat.sum() * 0, num_triplet=zero.detach())
        rois = torch.cat(pred_rois + [r.to(pred_rois[0].dtype) for r in gt_rois], dim=0)
        roi_feats = self.triplet_roi_align(level_feat, rois.to(level_feat.dtype))
        roi_feats = roi_feats.mean(dim=(2, 3))
        loss, num = triplet_similarity_loss(
            roi_feats[:num_pred], torch.cat([p.labels for p in pred]),
            roi_feats[num_pred:], torch.cat([g.labels for g in batch_gt_instances]),
            margin=cfg['margin'], sign=cfg['sign'])
        return dict(loss_triplet=cfg['loss_weight'] * loss,
                    num_triplet=zero.new_tensor(num / max(len(candidates), 1)))
