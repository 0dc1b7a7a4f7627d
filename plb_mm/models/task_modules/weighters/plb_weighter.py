import torch
from torch import Tensor

from mmdet.registry import TASK_UTILS

from .box_weighter import (BaseBoxWeighter, WeightingBoxes, box_areas, per_image_mean,
                           sum_over_ranks)

MEAN_SCOPES = ('batch', 'image', 'global')


@TASK_UTILS.register_module()
class PLBWeighter(BaseBoxWeighter):
    r"""Pixel level balancing (Hu et al. 2022, Eqs. 2-4; SPEC section 1).

    For the n boxes of a loss term, with :math:`a_i = area(b_i) + 1`
    (the ``+1`` is the paper's guard against all-zero areas) and
    :math:`m = \frac{1}{n}\sum_j a_j`:

    .. math:: w_i = \frac{2m}{m + a_i}

    so :math:`w \in (2/(n+1), 2)`, a box of mean area gets 1, one box alone
    gets 1, and small boxes weigh more than large ones.

    Args:
        box_source (str): ``'pred'`` (default): the box the term regards as the
            prediction (decoded anchor prediction in the RPN, the RoI in the
            second stage); ``'gt'``: the matched ground-truth box for positives
            (negatives have none and keep their predicted box). Paper Table 1.
        mean_scope (str): which boxes the mean :math:`m` runs over.
            ``'batch'`` (default, the authors' PyTorch code): every box of the
            term in this rank's batch (with several GPUs, each GPU's own
            boxes, so :math:`m` changes with the number of GPUs at the same
            total batch); ``'global'``: every box of the term on all ranks,
            :math:`m = \sum_{r} \sum_j a_j / \sum_r n_r` by an all-reduce of
            the sum and the count (the same weights as one process holding
            the whole batch; equal to ``'batch'`` when not distributed);
            ``'image'``: the boxes of the same image.
    """

    def __init__(self, box_source: str = 'pred', mean_scope: str = 'batch'):
        if box_source not in ('pred', 'gt'):
            raise ValueError(f"PLBWeighter: box_source must be 'pred' or 'gt', got {box_source!r}")
        if mean_scope not in MEAN_SCOPES:
            raise ValueError(f'PLBWeighter: mean_scope must be one of {MEAN_SCOPES}, '
                             f'got {mean_scope!r}')
        self.box_source = box_source
        self.mean_scope = mean_scope

    @property
    def collective(self) -> bool:
        return self.mean_scope == 'global'

    def weights(self, boxes: WeightingBoxes) -> Tensor:
        b = boxes.pred_boxes
        if self.box_source == 'gt':
            b = torch.where(boxes.is_pos[:, None], boxes.gt_boxes, b)
        a = box_areas(b.float()) + 1
        if self.mean_scope == 'image':
            m = per_image_mean(a, boxes.img_inds)
        elif self.mean_scope == 'batch':
            m = a.mean()
        else:  # 'global': sum and count over the ranks (this rank may have none)
            total, count = sum_over_ranks(torch.stack([a.sum(), a.new_tensor(len(a))]))
            m = total / count.clamp(min=1)
        return 2 * m / (m + a)
