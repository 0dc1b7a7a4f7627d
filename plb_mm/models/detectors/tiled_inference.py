"""Test a detector on overlapping tiles of the image, merged by NMS: the
test half of the paper's first straightforward baseline (Rehman et al.,
Section 5.2: train on crops of the labelled regions, test with overlapping
patches)."""
from typing import List, Optional, Tuple, Union

import torch
import torch.nn.functional as F
from mmcv.ops import batched_nms
from mmengine.structures import InstanceData
from torch import Tensor

from mmdet.models.detectors.base import BaseDetector
from mmdet.registry import MODELS
from mmdet.structures import DetDataSample, SampleList
from mmdet.utils import ConfigType, OptMultiConfig

__all__ = ['TiledInference', 'tile_origins']


def tile_origins(size: int, tile: int, overlap: int) -> List[int]:
    """Start coordinates of tiles of side ``tile`` that cover ``[0, size)``
    with at least ``overlap`` pixels shared by neighbours: every
    ``tile - overlap`` pixels, the last tile moved back to end at ``size``
    (one tile at 0 when ``size <= tile``).

    >>> tile_origins(320, 160, 80)
    [0, 80, 160]
    >>> tile_origins(300, 160, 80)
    [0, 80, 140]
    """
    if not 0 <= overlap < tile:
        raise ValueError(f'need 0 <= overlap < tile, got overlap {overlap}, tile {tile}')
    starts = list(range(0, max(size - tile, 0) + 1, tile - overlap))
    if starts[-1] + tile < size:
        starts.append(size - tile)
    return starts


@MODELS.register_module()
class TiledInference(BaseDetector):
    """Wrap a detector: training is the detector's own; prediction runs it on
    overlapping tiles of each image and merges the boxes.

    ``predict`` cuts the image part of each batch image (its ``img_shape``,
    the input frame after the pipeline's resize) into tiles of
    ``tile_size`` overlapping by at least ``overlap`` (:func:`tile_origins`;
    tiles at the bottom/right border are moved back inside, and an image
    smaller than a tile is padded with ``pad_value``), runs the detector's
    ``predict(rescale=False)`` on them (``tile_batch_size`` tiles at a time;
    each tile's metainfo: ``img_shape`` = its image part, ``scale_factor``
    1), shifts the boxes by the tile origin, clips them to the image and
    merges all tiles' boxes with ``batched_nms`` per class (``nms``); then
    keeps the ``max_per_img`` best and, with ``rescale``, maps them to the
    original image as mmdet does (divide by ``scale_factor``).

    With ``overlap`` at least the largest object side, every object lies
    whole in some tile. A box that a tile's border cuts is then a truncated
    duplicate that NMS may not suppress (its IoU with the whole box can be
    low); ``edge_margin`` (px, ``None`` = off) drops, before the NMS, every
    box that comes within ``edge_margin`` of a tile border that is not an
    image border.

    Args:
        detector (dict): the wrapped detector's config (any mmdet detector);
            its ``data_preprocessor`` is the wrapper's.
        tile_size (int | tuple): tile side(s) ``(h, w)`` in input pixels.
        overlap (int | tuple): least overlap ``(h, w)`` of neighbouring tiles.
        nms (dict): merge NMS, mmcv ``batched_nms`` config (per class unless
            ``class_agnostic=True``).
        max_per_img (int): boxes kept per image after the merge.
        edge_margin (float, optional): see above.
        tile_batch_size (int): tiles per forward pass.
        pad_value (float): value of padded tile pixels (the data
            preprocessor's ``pad_value``, 0 for mmdet's).

    Checkpoints of the wrapper hold the detector's weights under
    ``detector.``.
    """

    def __init__(self,
                 detector: ConfigType,
                 tile_size: Union[int, Tuple[int, int]] = 160,
                 overlap: Union[int, Tuple[int, int]] = 80,
                 nms: ConfigType = dict(type='nms', iou_threshold=0.65),
                 max_per_img: int = 300,
                 edge_margin: Optional[float] = None,
                 tile_batch_size: int = 16,
                 pad_value: float = 0.,
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(data_preprocessor=None, init_cfg=init_cfg)
        self.detector = MODELS.build(detector)
        self.data_preprocessor = self.detector.data_preprocessor
        self.tile_size = (tile_size, tile_size) if isinstance(tile_size, int) else tuple(tile_size)
        self.overlap = (overlap, overlap) if isinstance(overlap, int) else tuple(overlap)
        for t, o in zip(self.tile_size, self.overlap):
            tile_origins(t, t, o)  # validates
        self.nms = dict(nms)
        self.max_per_img = max_per_img
        self.edge_margin = edge_margin
        self.tile_batch_size = tile_batch_size
        self.pad_value = pad_value

    # training and features: the detector's
    def loss(self, batch_inputs: Tensor, batch_data_samples: SampleList) -> Union[dict, list]:
        return self.detector.loss(batch_inputs, batch_data_samples)

    def _forward(self, batch_inputs: Tensor, batch_data_samples: SampleList = None):
        return self.detector._forward(batch_inputs, batch_data_samples)

    def extract_feat(self, batch_inputs: Tensor):
        return self.detector.extract_feat(batch_inputs)

    # prediction on tiles
    def predict(self, batch_inputs: Tensor, batch_data_samples: SampleList,
                rescale: bool = True) -> SampleList:
        results = [self._predict_image(img, sample.metainfo, rescale)
                   for img, sample in zip(batch_inputs, batch_data_samples)]
        return self.add_pred_to_datasample(batch_data_samples, results)

    def _tiles(self, img: Tensor, h: int, w: int) -> Tuple[List[Tensor], List[tuple]]:
        """The tiles of the image part ``(h, w)`` of ``img`` and their
        ``(x, y, valid_w, valid_h)``."""
        (th, tw), (oh, ow) = self.tile_size, self.overlap
        tiles, origins = [], []
        for y in tile_origins(h, th, oh):
            for x in tile_origins(w, tw, ow):
                vh, vw = min(th, h - y), min(tw, w - x)
                tile = img[:, y:y + vh, x:x + vw]
                tiles.append(F.pad(tile, (0, tw - vw, 0, th - vh), value=self.pad_value))
                origins.append((x, y, vw, vh))
        return tiles, origins

    def _predict_image(self, img: Tensor, meta: dict, rescale: bool) -> InstanceData:
        h, w = meta['img_shape'][:2]
        (th, tw) = self.tile_size
        tiles, origins = self._tiles(img, h, w)
        merged = []
        for start in range(0, len(tiles), self.tile_batch_size):
            chunk = origins[start:start + self.tile_batch_size]
            samples = [DetDataSample(metainfo=dict(
                img_shape=(vh, vw), ori_shape=(vh, vw), pad_shape=(th, tw),
                batch_input_shape=(th, tw), scale_factor=(1., 1.)))
                for _, _, vw, vh in chunk]
            preds = self.detector.predict(
                torch.stack(tiles[start:start + self.tile_batch_size]), samples, rescale=False)
            for (x, y, vw, vh), pred in zip(chunk, preds):
                inst = pred.pred_instances
                if self.edge_margin is not None:
                    inst = inst[self._away_from_inner_edges(inst.bboxes, x, y, vw, vh, w, h)]
                bboxes = inst.bboxes + inst.bboxes.new_tensor([x, y, x, y])
                merged.append(InstanceData(bboxes=bboxes, scores=inst.scores,
                                           labels=inst.labels))
        result = InstanceData.cat(merged)
        result.bboxes[:, 0::2] = result.bboxes[:, 0::2].clamp(0, w)
        result.bboxes[:, 1::2] = result.bboxes[:, 1::2].clamp(0, h)
        if len(result) > 0:
            _, keep = batched_nms(result.bboxes, result.scores, result.labels, self.nms)
            result = result[keep[:self.max_per_img]]
        if rescale:
            result.bboxes = result.bboxes / result.bboxes.new_tensor(
                meta['scale_factor']).repeat((1, 2))
        return result

    def _away_from_inner_edges(self, bboxes: Tensor, x: int, y: int, vw: int, vh: int,
                               w: int, h: int) -> Tensor:
        """Boxes (tile frame) farther than ``edge_margin`` from every tile
        border that is not an image border."""
        m = self.edge_margin
        keep = bboxes.new_ones(len(bboxes), dtype=torch.bool)
        if x > 0:
            keep &= bboxes[:, 0] > m
        if y > 0:
            keep &= bboxes[:, 1] > m
        if x + vw < w:
            keep &= bboxes[:, 2] < vw - m
        if y + vh < h:
            keep &= bboxes[:, 3] < vh - m
        return keep
