"""TiledInference on hand-made images with a fake inner detector that boxes
the bright pixels of each tile: tiles, shift back, per-class NMS merge, the
edge filter, rescale, and training delegated to the detector."""
import pytest
import torch
from mmengine.structures import InstanceData

from mmdet.models.detectors.base import BaseDetector
from mmdet.registry import MODELS
from mmdet.structures import DetDataSample
from plb_mm.models import TiledInference, tile_origins


@MODELS.register_module(force=True)
class _BrightBoxDetector(BaseDetector):
    """Predicts one box per tile: the bounding box of the pixels > 0 in the
    tile's image part (channel 0), score = their value / 255, label =
    channel 1's value there (or ``tile_labels[k]`` for the k-th tile); records
    the tile shapes it saw."""

    def __init__(self, tile_labels=None):
        super().__init__()
        self.calls = []
        self.tile_labels = tile_labels
        self.seen = 0

    def predict(self, inputs, data_samples, rescale=True):
        self.calls.append(tuple(inputs.shape))
        out = []
        for img, sample in zip(inputs, data_samples):
            assert not rescale and sample.metainfo['scale_factor'] == (1., 1.)
            h, w = sample.metainfo['img_shape']
            ys, xs = torch.nonzero(img[0, :h, :w] > 0, as_tuple=True)
            inst = InstanceData(bboxes=torch.zeros(0, 4), scores=torch.zeros(0),
                                labels=torch.zeros(0, dtype=torch.long))
            if len(xs):
                inst = InstanceData(
                    bboxes=torch.tensor([[xs.min(), ys.min(), xs.max() + 1, ys.max() + 1]],
                                        dtype=torch.float),
                    scores=img[0, ys[0], xs[0]].reshape(1) / 255,
                    labels=img[1, ys[0], xs[0]].long().reshape(1))
                if self.tile_labels is not None:
                    inst.labels[:] = self.tile_labels[self.seen]
            self.seen += 1
            s = DetDataSample(metainfo=sample.metainfo)
            s.pred_instances = inst
            out.append(s)
        return out

    def loss(self, inputs, data_samples):
        return dict(loss_fake=inputs.sum() * 0 + 1.5)

    def _forward(self, inputs, data_samples=None):
        return inputs

    def extract_feat(self, inputs):
        return inputs


def _wrapper(**kw):
    return TiledInference(detector=dict(type='_BrightBoxDetector'), **kw)


def _image(h, w, squares):
    """Squares ``(x1, y1, x2, y2, value, label)`` painted on a black image."""
    img = torch.zeros(3, h, w)
    for x1, y1, x2, y2, v, lab in squares:
        img[0, y1:y2, x1:x2] = v
        img[1, y1:y2, x1:x2] = lab
    return img


def _predict(model, img, img_shape=None, scale_factor=(1., 1.)):
    sample = DetDataSample(metainfo=dict(img_shape=img_shape or tuple(img.shape[1:]),
                                         scale_factor=scale_factor))
    model.eval()
    with torch.no_grad():
        return model.predict(img[None], [sample])[0].pred_instances


def test_tile_origins():
    assert tile_origins(320, 160, 80) == [0, 80, 160]
    assert tile_origins(300, 160, 80) == [0, 80, 140]
    assert tile_origins(100, 160, 80) == [0]
    assert tile_origins(160, 160, 0) == [0]
    with pytest.raises(ValueError):
        tile_origins(100, 50, 50)


def test_one_box_per_tile_is_shifted_back():
    # 40 x 40 image, 20 px tiles, no overlap: 4 tiles, each with one square
    img = _image(40, 40, [(2, 3, 6, 7, 200, 0), (22, 3, 25, 9, 190, 0), (5, 30, 9, 35, 180, 1),
                          (30, 30, 33, 31, 170, 2)])
    model = _wrapper(tile_size=20, overlap=0)
    pred = _predict(model, img)
    boxes = sorted(pred.bboxes.tolist())
    assert boxes == [[2, 3, 6, 7], [5, 30, 9, 35], [22, 3, 25, 9], [30, 30, 33, 31]]
    assert sorted(pred.labels.tolist()) == [0, 0, 1, 2]
    assert model.detector.calls == [(4, 3, 20, 20)]  # one pass of the 4 tiles


def test_box_in_the_overlap_is_merged_by_nms_per_class():
    # 40 px wide, 24 px tiles, overlap 8: tiles x = 0 and 16; the square [17, 5, 23, 11]
    # lies in both: two identical boxes -> one after NMS
    img = _image(20, 40, [(17, 5, 23, 11, 200, 1)])
    pred = _predict(_wrapper(tile_size=(20, 24), overlap=(0, 8)), img)
    assert pred.bboxes.tolist() == [[17, 5, 23, 11]] and pred.labels.tolist() == [1]
    # below the NMS IoU both stay: a second square seen only by the right tile,
    # which boxes both squares as one, [17, 5, 30, 11] (IoU 36 / 78 = 0.46 < 0.65)
    img = _image(20, 40, [(17, 5, 23, 11, 200, 1), (25, 5, 30, 11, 100, 0)])
    pred = _predict(_wrapper(tile_size=(20, 24), overlap=(0, 8)), img)
    assert sorted(pred.bboxes.tolist()) == [[17, 5, 23, 11], [17, 5, 30, 11]]
    # NMS is per class: the same two boxes of different classes both stay, and
    # one class-agnostic NMS merges them
    img = _image(20, 40, [(17, 5, 23, 11, 200, 1)])
    det = dict(type='_BrightBoxDetector', tile_labels=[0, 1])
    pred = _predict(TiledInference(det, tile_size=(20, 24), overlap=(0, 8)), img)
    assert pred.bboxes.tolist() == [[17, 5, 23, 11]] * 2
    assert sorted(pred.labels.tolist()) == [0, 1]
    pred = _predict(TiledInference(det, tile_size=(20, 24), overlap=(0, 8),
                                   nms=dict(type='nms', iou_threshold=0.65,
                                            class_agnostic=True)), img)
    assert pred.bboxes.tolist() == [[17, 5, 23, 11]]


def test_edge_margin_drops_boxes_cut_by_an_inner_tile_border():
    # the square [20, 5, 30, 11] crosses the left tile's right border (x 24):
    # the left tile sees [20, 5, 24, 11] (cut), the right tile the whole box
    img = _image(20, 40, [(20, 5, 30, 11, 200, 0)])
    pred = _predict(_wrapper(tile_size=(20, 24), overlap=(0, 8)), img)
    assert sorted(pred.bboxes.tolist()) == [[20, 5, 24, 11], [20, 5, 30, 11]]  # IoU 0.4
    pred = _predict(_wrapper(tile_size=(20, 24), overlap=(0, 8), edge_margin=1), img)
    assert pred.bboxes.tolist() == [[20, 5, 30, 11]]
    # an image border is not an inner border: a box touching it stays
    img = _image(20, 40, [(34, 5, 40, 11, 200, 0)])
    pred = _predict(_wrapper(tile_size=(20, 24), overlap=(0, 8), edge_margin=1), img)
    assert pred.bboxes.tolist() == [[34, 5, 40, 11]]


def test_padding_rescale_and_small_images():
    # image part 30 x 30 of a 32 x 32 padded input; 20 px tiles overlap 10: x, y in {0, 10}
    img = _image(32, 32, [(12, 12, 16, 16, 200, 0), (31, 31, 32, 32, 250, 0)])  # 2nd in padding
    model = _wrapper(tile_size=20, overlap=10)
    pred = _predict(model, img, img_shape=(30, 30), scale_factor=(0.5, 0.25))
    assert pred.bboxes.tolist() == [[24, 48, 32, 64]]  # [12, 12, 16, 16] / (0.5, 0.25)
    # an image smaller than a tile: one padded tile
    model = _wrapper(tile_size=64, overlap=16)
    pred = _predict(model, _image(20, 30, [(1, 2, 3, 4, 200, 0)]))
    assert pred.bboxes.tolist() == [[1, 2, 3, 4]] and model.detector.calls == [(1, 3, 64, 64)]


def test_training_is_the_detector_s_and_it_builds_from_a_config():
    model = MODELS.build(dict(type='TiledInference', detector=dict(type='_BrightBoxDetector'),
                              tile_size=16, overlap=4))
    assert model.data_preprocessor is model.detector.data_preprocessor
    model.train()
    losses = model(torch.zeros(1, 3, 8, 8), [DetDataSample()], mode='loss')
    assert losses['loss_fake'].item() == 1.5
