"""Precision and recall of SLA-Det's online pseudo labels against the hidden
full annotations of the training images (issue 13: "the first thing to log"
when LR+PL+Triplet does not beat the naive baseline)."""
import json
from collections import defaultdict
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper
from torch import Tensor
from torch.func import functional_call

from mmdet.registry import HOOKS
from mmdet.structures.bbox import HorizontalBoxes, bbox_overlaps

from ...models.dense_heads import SLADetYOLOXHead
from ...models.dense_heads.sladet_yolox_head import labeled_region_mask

__all__ = ['PseudoLabelQualityHook', 'match_pseudo_labels', 'hidden_boxes_in_input_frame',
           'hidden_outside_regions']


def match_pseudo_labels(pred_bboxes: Tensor, pred_scores: Tensor, pred_labels: Tensor,
                        gt_bboxes: Tensor, gt_labels: Tensor,
                        iou_thr: float = 0.5) -> int:
    """Number of true pseudo labels: greedy one-to-one matching in order of
    decreasing score (as COCO / VOC evaluation), a pseudo box is true when
    its best IoU with a not yet matched hidden box *of its class* is
    ``>= iou_thr``.

    Args:
        pred_bboxes (Tensor): ``(p, 4)`` x1y1x2y2. pred_scores, pred_labels: ``(p,)``.
        gt_bboxes (Tensor): ``(g, 4)``. gt_labels (Tensor): ``(g,)``.
        iou_thr (float): 0.5.

    Returns:
        int: matched pairs (precision = it / p, recall = it / g); pass
        all-zero labels for the class-agnostic count.
    """
    if len(pred_bboxes) == 0 or len(gt_bboxes) == 0:
        return 0
    ious = bbox_overlaps(pred_bboxes.float(), gt_bboxes.float())
    ious[pred_labels[:, None] != gt_labels[None, :]] = -1
    free = torch.ones(len(gt_bboxes), dtype=torch.bool)
    tp = 0
    for i in torch.argsort(pred_scores, descending=True).tolist():
        iou = ious[i].masked_fill(~free, -1)
        best = int(iou.argmax())
        if iou[best] >= iou_thr:
            free[best] = False
            tp += 1
    return tp


def hidden_boxes_in_input_frame(bboxes: np.ndarray, meta: dict) -> Tensor:
    """Boxes ``(n, 4)`` x1y1x2y2 of the annotation file moved to the input
    frame of a training sample: scaled by ``meta['scale_factor']`` and
    flipped as ``meta['flip']`` / ``meta['flip_direction']`` say, within
    ``meta['img_shape']``. Only resize and flip are known from the metainfo:
    crops, mosaic or affine transforms in the pipeline make this wrong."""
    boxes = torch.as_tensor(np.asarray(bboxes, np.float32).reshape(-1, 4))
    sx, sy = meta.get('scale_factor', (1., 1.))
    boxes = boxes * boxes.new_tensor([sx, sy, sx, sy])
    if meta.get('flip'):
        hb = HorizontalBoxes(boxes)
        hb.flip_(meta['img_shape'][:2], direction=meta['flip_direction'])
        boxes = hb.tensor
    return boxes


def hidden_outside_regions(hidden: Dict[int, Tuple[np.ndarray, np.ndarray]],
                           meta: dict) -> Tuple[Tensor, Tensor]:
    """The hidden boxes of a training sample that PL may find: those of
    ``hidden`` (:meth:`PseudoLabelQualityHook.load_hidden`) for
    ``meta['img_id']``, moved into the input frame
    (:func:`hidden_boxes_in_input_frame`), whose centre lies outside every
    labelled region of ``meta``. Returns ``boxes (g, 4)``, ``labels (g,)``."""
    boxes, labels = hidden.get(meta['img_id'],
                               (np.zeros((0, 4), np.float32), np.zeros(0, np.int64)))
    boxes = hidden_boxes_in_input_frame(boxes, meta)
    outside = ~labeled_region_mask((boxes[:, :2] + boxes[:, 2:]) / 2,
                                   SLADetYOLOXHead.regions_of(meta, boxes.device))
    return boxes[outside], torch.as_tensor(labels)[outside]


@HOOKS.register_module()
class PseudoLabelQualityHook(Hook):
    """Log the precision and recall of the pseudo labels of
    ``SLADetYOLOXHead`` (PL term) against hidden full annotations.

    Every ``interval`` training iterations, *before* the step (so with the
    weights and the batch the PL term of that step uses), it runs the model
    on the iteration's batch in training mode (``mode='tensor'``: a
    single-stage detector's head outputs), with copies of the model's
    buffers (BatchNorm's running statistics are updated on the copies, the
    model is not changed), and calls
    :meth:`SLADetYOLOXHead.predict_pseudo_labels`: the pseudo labels that
    step's loss trains on. It costs one forward pass per measured iteration.

    Truth: the boxes of ``ann_file`` (a COCO file of the same images with
    every box, e.g. the synthetic set's ``annotations/train_full.json``),
    matched by ``img_id``, moved into the input frame
    (:func:`hidden_boxes_in_input_frame`: resize and flip only), keeping
    those whose centre lies outside every labelled region (the head's rule:
    what PL may find). Classes are matched by name to the training
    dataset's ``metainfo['classes']``.

    Logged to the message hub (so to the log and W&B), over the batch:

    - ``train/pl_precision``: true pseudo labels / pseudo labels (IoU
      ``>= iou_thr`` with a hidden box of the same class, one-to-one,
      :func:`match_pseudo_labels`); not logged when there is none;
    - ``train/pl_precision_agnostic``: the same, class ignored;
    - ``train/pl_recall``: true pseudo labels / hidden boxes outside the
      regions; not logged when there is none;
    - ``train/pl_num``: pseudo labels per image.

    The log shows the mean of the last ``LogProcessor.window_size``
    measurements (one every ``interval`` iterations).

    Args:
        ann_file (str): the hidden full annotations.
        interval (int): measure every ``interval`` iterations (on the
            iterations the logger logs when both intervals are equal).
        iou_thr (float): 0.5.
    """

    priority = 'NORMAL'

    def __init__(self, ann_file: str, interval: int = 10, iou_thr: float = 0.5) -> None:
        if interval < 1:
            raise ValueError(f'interval must be >= 1, got {interval}')
        self.ann_file = ann_file
        self.interval = interval
        self.iou_thr = iou_thr
        self._hidden: Optional[Dict[int, Tuple[np.ndarray, np.ndarray]]] = None

    @staticmethod
    def _heads(model) -> List[SLADetYOLOXHead]:
        return [m for m in model.modules()
                if isinstance(m, SLADetYOLOXHead) and m.pseudo_label_cfg is not None]

    def before_train(self, runner) -> None:
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        if not self._heads(model):
            print_log('PseudoLabelQualityHook: the model has no SLADetYOLOXHead with a '
                      'pseudo_label term; the hook does nothing', logger='current', level=30)
            return
        classes = runner.train_dataloader.dataset.metainfo['classes']
        self._hidden = self.load_hidden(self.ann_file, classes)

    @staticmethod
    def load_hidden(ann_file: str, classes: Sequence[str]
                    ) -> Dict[int, Tuple[np.ndarray, np.ndarray]]:
        """``img_id -> (boxes (n, 4) x1y1x2y2, labels (n,))`` of a COCO file;
        crowd boxes and categories not in ``classes`` left out."""
        with open(ann_file) as f:
            coco = json.load(f)
        label_of = {c['id']: list(classes).index(c['name']) for c in coco['categories']
                    if c['name'] in classes}
        rows = defaultdict(list)
        for a in coco['annotations']:
            if a.get('iscrowd') or a['category_id'] not in label_of:
                continue
            x, y, w, h = a['bbox']
            rows[a['image_id']].append((x, y, x + w, y + h, label_of[a['category_id']]))
        return {img_id: (np.array([r[:4] for r in rs], np.float32).reshape(-1, 4),
                         np.array([r[4] for r in rs], np.int64))
                for img_id, rs in rows.items()}

    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        if self._hidden is None or data_batch is None or \
                not self.every_n_train_iters(runner, self.interval):
            return
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        head = self._heads(model)[0]
        data = model.data_preprocessor(data_batch, True)
        buffers = {k: v.clone() for k, v in model.named_buffers()}
        with torch.no_grad():
            outs = functional_call(model, buffers, args=(data['inputs'], data['data_samples']),
                                   kwargs=dict(mode='tensor'), strict=False)
            metas = [s.metainfo for s in data['data_samples']]
            pseudo = head.predict_pseudo_labels(*outs, metas)
        tp = tp_any = num_pred = num_gt = 0
        for inst, meta in zip(pseudo, metas):
            gt_boxes, gt_labels = hidden_outside_regions(self._hidden, meta)
            bboxes, scores = inst.bboxes.cpu(), inst.scores.cpu()
            labels = inst.labels.cpu()
            tp += match_pseudo_labels(bboxes, scores, labels, gt_boxes, gt_labels, self.iou_thr)
            tp_any += match_pseudo_labels(bboxes, scores, torch.zeros_like(labels), gt_boxes,
                                          torch.zeros_like(gt_labels), self.iou_thr)
            num_pred += len(bboxes)
            num_gt += len(gt_boxes)
        hub = runner.message_hub
        hub.update_scalar('train/pl_num', num_pred / max(len(metas), 1))
        if num_pred:
            hub.update_scalar('train/pl_precision', tp / num_pred)
            hub.update_scalar('train/pl_precision_agnostic', tp_any / num_pred)
        if num_gt:
            hub.update_scalar('train/pl_recall', tp / num_gt)
