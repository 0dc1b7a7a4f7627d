"""AttriDet / SLA-Det with AttriHead: mmdet's YOLOX plus an attribute head on
early backbone maps (Rehman et al., Figures 4 and 5, Eqs. 3 and 13)."""
from typing import Sequence, Tuple

from torch import Tensor

from mmdet.models.detectors import YOLOX
from mmdet.registry import MODELS
from mmdet.structures import SampleList
from mmdet.utils import ConfigType, OptConfigType, OptMultiConfig

__all__ = ['AttriYOLOX']


@MODELS.register_module()
class AttriYOLOX(YOLOX):
    """YOLOX whose backbone also feeds an attribute head.

    The backbone returns one more (earlier) map than the neck takes: with
    ``out_indices=(1, 2, 3, 4)`` mmdet's ``CSPDarknet`` gives strides
    4, 8, 16, 32; ``neck_in_indices=(1, 2, 3)`` hands strides 8-32 to the
    neck exactly as a plain YOLOX would get them, ``attri_in_indices=(0, 1)``
    hands strides 4 and 8 to the attribute head. The loss is the detector's
    plus the head's ``loss_attr`` (Eq. 13: ``L_SLA = L_LR + L_PL + L_Tri +
    L_mor``); prediction adds ``pred_instances.attributes`` (probabilities
    ``(m, A)``) to each detection, so ``tools/test.py --out`` carries them.

    Args:
        attri_head (dict): the attribute head (e.g. ``AttriHead``).
        neck_in_indices (Sequence[int]): backbone outputs for the neck.
        attri_in_indices (Sequence[int]): backbone outputs for the head.
        Others: as mmdet's ``YOLOX``.
    """

    def __init__(self,
                 backbone: ConfigType,
                 neck: ConfigType,
                 bbox_head: ConfigType,
                 attri_head: ConfigType,
                 neck_in_indices: Sequence[int] = (1, 2, 3),
                 attri_in_indices: Sequence[int] = (0, 1),
                 train_cfg: OptConfigType = None,
                 test_cfg: OptConfigType = None,
                 data_preprocessor: OptConfigType = None,
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(backbone=backbone, neck=neck, bbox_head=bbox_head,
                         train_cfg=train_cfg, test_cfg=test_cfg,
                         data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.attri_head = MODELS.build(attri_head)
        self.neck_in_indices = tuple(neck_in_indices)
        self.attri_in_indices = tuple(attri_in_indices)
        n_out = len(backbone.get('out_indices', ()))
        used = self.neck_in_indices + self.attri_in_indices
        if n_out and max(used) >= n_out:
            raise ValueError(
                f'AttriYOLOX: neck_in_indices {self.neck_in_indices} / attri_in_indices '
                f"{self.attri_in_indices} index {n_out} backbone outputs (out_indices="
                f"{tuple(backbone['out_indices'])}); add the early stages to out_indices, "
                f'e.g. (1, 2, 3, 4) for strides 4-32')

    def extract_feats(self, batch_inputs: Tensor) -> Tuple[Tuple[Tensor], Tuple[Tensor]]:
        """``(neck outputs, attribute-head inputs)`` of one backbone pass."""
        outs = self.backbone(batch_inputs)
        x = self.neck(tuple(outs[i] for i in self.neck_in_indices))
        return x, tuple(outs[i] for i in self.attri_in_indices)

    def extract_feat(self, batch_inputs: Tensor) -> Tuple[Tensor]:
        """The neck outputs (what the detection head sees, as in YOLOX)."""
        return self.extract_feats(batch_inputs)[0]

    def loss(self, batch_inputs: Tensor, batch_data_samples: SampleList) -> dict:
        x, early = self.extract_feats(batch_inputs)
        losses = self.bbox_head.loss(x, batch_data_samples)
        losses.update(self.attri_head.loss(early, batch_data_samples))
        return losses

    def predict(self, batch_inputs: Tensor, batch_data_samples: SampleList,
                rescale: bool = True) -> SampleList:
        x, early = self.extract_feats(batch_inputs)
        results_list = self.bbox_head.predict(x, batch_data_samples, rescale=rescale)
        results_list = self.attri_head.predict(
            early, results_list, [s.metainfo for s in batch_data_samples], rescale=rescale)
        return self.add_pred_to_datasample(batch_data_samples, results_list)
