"""AttriHead: morphological attributes of each detected cell (Rehman et al.,
Section 4.2, Eqs. 1-3 and Figure 4(a); SPEC 4).

Features of a box are cut with RoIAlign from two early backbone maps
(strides 4 and 8: the "initial layers", Eq. 2), concatenated along the
channels, and go through 3 x (conv 3x3 -> leaky ReLU -> max-pool 2x2), a
flatten and an FC stack (1024 -> 256 -> A) with dropout 0.2 between the FC
layers and leaky ReLU after each hidden layer. The A outputs are independent
logits (multi-label): the asymmetric loss trains them, their sigmoids are the
predicted attribute probabilities.

Eq. 1 (the box normalised to the feature map, ``x W_j / W_i``) is RoIAlign's
``spatial_scale = 1 / stride``; the map's own size enters through the
stride, so a padded batch needs no extra care.
"""
from typing import List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
from mmcv.ops import RoIAlign
from mmengine.model import BaseModule
from mmengine.structures import InstanceData
from torch import Tensor

from mmdet.registry import MODELS
from mmdet.structures import SampleList
from mmdet.structures.bbox import HorizontalBoxes, bbox2roi, scale_boxes

from ..dense_heads.sladet_yolox_head import SLADetYOLOXHead, labeled_region_mask

__all__ = ['AttriHead']


@MODELS.register_module()
class AttriHead(BaseModule):
    """Multi-label attribute head on RoIs of early feature maps.

    Training (:meth:`loss`) uses the ground-truth boxes of each image that
    have at least one known attribute (``gt_instances.attributes``: LongTensor
    ``(n, A)``, values 0 / 1, ``-1`` unknown) and, with ``only_in_regions``,
    whose centre lies in a labelled region of the image
    (``metainfo['labeled_regions']``; absent = the whole image): the paper
    trains the head "only for the region where the ground truth is
    available". Unknown values are masked out by the loss (they add nothing
    to it nor to its normaliser). A batch without such a box gives a zero
    loss that still reaches every parameter (DDP sees no unused weights).

    Testing (:meth:`predict`) runs on the detected boxes and writes
    ``pred_instances.attributes`` (FloatTensor ``(m, A)``, sigmoid
    probabilities) into each result.

    Args:
        in_channels (Sequence[int]): channels of the feature maps the head
            reads (the detector passes them in this order).
        featmap_strides (Sequence[int]): their strides. Defaults to (4, 8).
        roi_size (tuple[int, int]): RoIAlign output ``(h, w)``; the paper's
            24 x 30.
        conv_channels (Sequence[int]): output channels of the three
            conv 3x3 -> max-pool blocks. The paper gives no widths; the
            default is the authors' code (``utils/my_model.py``, 128, 64, 64
            on YOLOv5x's 160 + 320 channels); the CPU config uses 64, 64, 64
            on its 32 + 64. Either way the first FC layer sees 64 x 3 x 3.
        fc_channels (Sequence[int]): hidden FC widths (1024, 256).
        num_attributes (int): A, the paper's 6.
        dropout (float): dropout between the FC layers (0.2).
        negative_slope (float): leaky ReLU slope (0.1, YOLOv5's).
        only_in_regions (bool): train only on GT boxes whose centre lies in
            a labelled region. Defaults to True.
        loss_attr (dict): the attribute loss; mmdet-style contract
            ``loss(logits (n, A), targets (n, A) with -1 ignored)``.
        init_cfg (dict, optional): mmengine init config.
    """

    def __init__(self,
                 in_channels: Sequence[int] = (32, 64),
                 featmap_strides: Sequence[int] = (4, 8),
                 roi_size: Tuple[int, int] = (24, 30),
                 conv_channels: Sequence[int] = (128, 64, 64),
                 fc_channels: Sequence[int] = (1024, 256),
                 num_attributes: int = 6,
                 dropout: float = 0.2,
                 negative_slope: float = 0.1,
                 only_in_regions: bool = True,
                 loss_attr: dict = dict(
                     type='AsymmetricLoss', gamma_neg=4, gamma_pos=1, clip=0.05,
                     loss_weight=1.0),
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if len(in_channels) != len(featmap_strides):
            raise ValueError(f'AttriHead: {len(in_channels)} in_channels for '
                             f'{len(featmap_strides)} featmap_strides')
        if len(conv_channels) != 3:
            raise ValueError(f'AttriHead: conv_channels needs 3 widths (the paper\'s three '
                             f'conv -> max-pool blocks), got {tuple(conv_channels)}')
        self.featmap_strides = tuple(featmap_strides)
        self.roi_size = tuple(roi_size)
        self.num_attributes = num_attributes
        self.only_in_regions = only_in_regions
        # A fixed sampling ratio bounds the cost of a box: with mmcv's adaptive
        # 0, the samples grow with the box, and a wild box of an untrained
        # detector (1e9 px) never finishes.
        self.roi_layers = nn.ModuleList([
            RoIAlign(self.roi_size, spatial_scale=1. / s, sampling_ratio=2, aligned=True)
            for s in self.featmap_strides
        ])
        blocks, c_in = [], sum(in_channels)
        h, w = self.roi_size
        for c_out in conv_channels:
            blocks += [nn.Conv2d(c_in, c_out, 3, padding=1),
                       nn.LeakyReLU(negative_slope, inplace=True),
                       nn.MaxPool2d(2)]
            c_in, h, w = c_out, h // 2, w // 2
        if h < 1 or w < 1:
            raise ValueError(f'AttriHead: roi_size {self.roi_size} is too small for three '
                             f'2x2 max-pools')
        self.convs = nn.Sequential(*blocks)
        fcs, d_in = [], c_in * h * w
        for d_out in fc_channels:
            fcs += [nn.Linear(d_in, d_out), nn.LeakyReLU(negative_slope, inplace=True),
                    nn.Dropout(dropout)]
            d_in = d_out
        fcs.append(nn.Linear(d_in, num_attributes))
        self.fcs = nn.Sequential(*fcs)
        self.loss_attr = MODELS.build(loss_attr)

    def forward(self, feats: Sequence[Tensor], rois: Tensor) -> Tensor:
        """Attribute logits of RoIs.

        Args:
            feats (Sequence[Tensor]): the maps, ``(B, C_j, H_j, W_j)``, in the
                order of ``featmap_strides``.
            rois (Tensor): ``(n, 5)`` batch index, x1, y1, x2, y2 in the
                input frame (:func:`mmdet.structures.bbox.bbox2roi`).

        Returns:
            Tensor: logits ``(n, A)``.
        """
        if len(feats) != len(self.roi_layers):
            raise ValueError(f'AttriHead: got {len(feats)} feature maps, expects '
                             f'{len(self.roi_layers)} (strides {self.featmap_strides})')
        pooled = torch.cat([layer(f, rois) for layer, f in zip(self.roi_layers, feats)], dim=1)
        return self.fcs(self.convs(pooled).flatten(1))

    def training_boxes(self, data_sample) -> Tuple[Tensor, Tensor]:
        """The GT boxes (input frame) the head trains on in one image, and
        their attribute rows: at least one known value, centre inside a
        labelled region when ``only_in_regions``."""
        gt = data_sample.gt_instances
        bboxes = gt.bboxes
        bboxes = bboxes.tensor if hasattr(bboxes, 'tensor') else bboxes
        if 'attributes' not in gt:
            raise KeyError(
                f"AttriHead: {data_sample.metainfo.get('img_path')}: gt_instances has no "
                f"'attributes'; load them with LoadSLADetAnnotations and pack with "
                f'PackSLADetInputs')
        attributes = gt.attributes.to(bboxes.device)
        keep = (attributes >= 0).any(dim=1)
        if self.only_in_regions:
            regions = SLADetYOLOXHead.regions_of(data_sample.metainfo, bboxes.device)
            centres = (bboxes[:, :2] + bboxes[:, 2:]) / 2
            keep &= labeled_region_mask(centres, regions)
        return bboxes[keep], attributes[keep]

    def loss(self, feats: Sequence[Tensor], batch_data_samples: SampleList) -> dict:
        """``dict(loss_attr=...)`` over the batch's training boxes."""
        boxes, targets = zip(*[self.training_boxes(s) for s in batch_data_samples])
        rois = bbox2roi(list(boxes))
        logits = self(feats, rois)
        return dict(loss_attr=self.loss_attr(logits, torch.cat(targets).to(logits)))

    def predict(self, feats: Sequence[Tensor], results_list: List[InstanceData],
                batch_img_metas: List[dict], rescale: bool = True) -> List[InstanceData]:
        """Add ``attributes`` (sigmoid probabilities ``(m, A)``) to each
        image's detections. With ``rescale`` the detections are in the
        original frame: they are mapped back to the input frame with the
        image's ``scale_factor`` (the inverse of the head's rescale), then
        clipped to ``img_shape`` (the head pools there; the detections
        themselves are not changed)."""
        boxes = []
        for results, meta in zip(results_list, batch_img_metas):
            b = results.bboxes
            if rescale and 'scale_factor' in meta:
                b = scale_boxes(b, meta['scale_factor'])
            if 'img_shape' in meta:  # the features end there
                b = HorizontalBoxes(b.clone())
                b.clip_(meta['img_shape'][:2])
                b = b.tensor
            boxes.append(b)
        rois = bbox2roi(boxes)
        probs = self(feats, rois).sigmoid() if len(rois) else rois.new_zeros(
            (0, self.num_attributes))
        for results, p in zip(results_list, probs.split([len(b) for b in boxes])):
            results.attributes = p
        return results_list
