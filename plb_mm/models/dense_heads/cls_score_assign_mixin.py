from typing import List

import torch
from torch import Tensor

from mmdet.models.task_modules.prior_generators import anchor_inside_flags

_SCORES_KEY = '_plb_assign_scores'


class _ScoredAssigner:
    """Forwards ``assign`` to ``assigner`` with ``pred_instances.scores`` set."""

    def __init__(self, assigner, scores: Tensor):
        self.assigner, self.scores = assigner, scores

    def assign(self, pred_instances, *args, **kwargs):
        pred_instances.scores = self.scores
        return self.assigner.assign(pred_instances, *args, **kwargs)


class ClsScoreAssignMixin:
    """Feeds a head's detached class probabilities to an assigner that uses
    them (``assigner.uses_scores``, e.g. ``IoUClsAwareAssigner``), the way
    TOOD/DDOD heads pass scores to theirs, for mmdet heads built on
    ``AnchorHead._get_targets_single`` (RetinaNet, RPN, ...).

    ``loss_by_feat`` keeps the head's classification outputs for the call;
    ``get_targets`` turns them into per-image probabilities (sigmoid, or
    softmax without the background column), flattened in the order of the
    image's concatenated anchors, and hands them to ``_get_targets_single``
    through the image's meta dict; there the assigner sees them as
    ``pred_instances.scores`` of the anchors inside the image. With an
    assigner that does not use scores, nothing changes.
    """

    def _assigner_uses_scores(self) -> bool:
        return bool(getattr(getattr(self, 'assigner', None), 'uses_scores', False))

    def loss_by_feat(self, cls_scores: List[Tensor], bbox_preds: List[Tensor], *args, **kwargs):
        if not self._assigner_uses_scores():
            return super().loss_by_feat(cls_scores, bbox_preds, *args, **kwargs)
        self._cls_scores_for_assign = cls_scores
        try:
            return super().loss_by_feat(cls_scores, bbox_preds, *args, **kwargs)
        finally:
            self._cls_scores_for_assign = None

    def get_targets(self, anchor_list, valid_flag_list, batch_gt_instances, batch_img_metas,
                    *args, **kwargs) -> tuple:
        cls_scores = getattr(self, '_cls_scores_for_assign', None)
        if cls_scores is not None:
            num_imgs = len(batch_img_metas)
            flat = torch.cat([s.detach().permute(0, 2, 3, 1).reshape(num_imgs, -1, self.cls_out_channels)
                              for s in cls_scores], dim=1)
            if getattr(self.loss_cls, 'use_sigmoid', False):
                probs = flat.sigmoid()
            else:
                probs = flat.softmax(-1)[..., :self.num_classes]
            batch_img_metas = [dict(meta, **{_SCORES_KEY: p})
                               for meta, p in zip(batch_img_metas, probs)]
        return super().get_targets(anchor_list, valid_flag_list, batch_gt_instances,
                                   batch_img_metas, *args, **kwargs)

    def _get_targets_single(self, flat_anchors, valid_flags, gt_instances, img_meta, *args,
                            **kwargs):
        scores = img_meta.get(_SCORES_KEY) if isinstance(img_meta, dict) else None
        if scores is None:
            return super()._get_targets_single(flat_anchors, valid_flags, gt_instances,
                                               img_meta, *args, **kwargs)
        inside = anchor_inside_flags(flat_anchors, valid_flags, img_meta['img_shape'][:2],
                                     self.train_cfg['allowed_border'])
        assigner = self.assigner
        self.assigner = _ScoredAssigner(assigner, scores[inside])
        try:
            return super()._get_targets_single(flat_anchors, valid_flags, gt_instances,
                                               img_meta, *args, **kwargs)
        finally:
            self.assigner = assigner
