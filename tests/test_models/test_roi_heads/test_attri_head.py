"""AttriHead: RoI features from the right place at both strides (Eq. 1),
which GT boxes it trains on, the loss it hands to the asymmetric loss, the
empty batch, and the attributes it writes at test time."""
import numpy as np
import pytest
import torch
from mmengine.structures import InstanceData

from mmdet.registry import MODELS
from mmdet.structures import DetDataSample
from mmdet.structures.bbox import bbox2roi

from plb_mm.models.roi_heads import AttriHead  # noqa: F401  (registers)


def _head(**kw):
    torch.manual_seed(0)
    cfg = dict(type='AttriHead', in_channels=(2, 3), featmap_strides=(4, 8), dropout=0.0)
    cfg.update(kw)
    return MODELS.build(cfg)


def _feats(batch=1, size=64):
    torch.manual_seed(1)
    return (torch.randn(batch, 2, size // 4, size // 4), torch.randn(batch, 3, size // 8, size // 8))


def _sample(bboxes, attributes, regions=None):
    s = DetDataSample()
    s.gt_instances = InstanceData(bboxes=torch.tensor(bboxes, dtype=torch.float32).reshape(-1, 4),
                                  labels=torch.zeros(len(bboxes), dtype=torch.long),
                                  attributes=torch.tensor(attributes, dtype=torch.long).reshape(-1, 6))
    meta = dict(img_shape=(64, 64), img_path='img.png')
    if regions is not None:  # absent key: the whole image is labelled
        meta['labeled_regions'] = np.asarray(regions, np.float32).reshape(-1, 4)
    s.set_metainfo(meta)
    return s


def test_roi_features_come_from_the_box_at_both_strides():
    # Input-frame box (36, 36, 60, 60): on the stride-4 map it spans 9..15
    # (8.5..14.5 after the aligned half-pixel shift), on the stride-8 map
    # 4.5..7.5 (4.0..7.0). Ones on cells 8..15 (stride 4) and 3..8 (stride 8),
    # zeros elsewhere: every bilinear sample of the 24 x 30 grid falls among
    # ones -> the pooled features are exactly 1; a box elsewhere pools 0.
    head = _head(in_channels=(1, 1))
    s4 = torch.zeros(1, 1, 32, 32)
    s4[..., 8:16, 8:16] = 1
    s8 = torch.zeros(1, 1, 16, 16)
    s8[..., 3:9, 3:9] = 1
    rois = torch.tensor([[0, 36., 36., 60., 60.], [0, 80., 80., 120., 120.]])
    pooled = torch.cat([layer(f, rois) for layer, f in zip(head.roi_layers, (s4, s8))], dim=1)
    assert pooled.shape == (2, 2, 24, 30)
    assert torch.equal(pooled[0], torch.ones(2, 24, 30))
    assert torch.equal(pooled[1], torch.zeros(2, 24, 30))


def test_forward_shapes_and_architecture():
    head = _head()
    feats = _feats()
    logits = head(feats, torch.tensor([[0, 4., 4., 40., 30.], [0, 0., 0., 8., 8.]]))
    assert logits.shape == (2, 6)
    assert head(feats, torch.zeros(0, 5)).shape == (0, 6)
    convs = [m for m in head.convs if isinstance(m, torch.nn.Conv2d)]
    pools = [m for m in head.convs if isinstance(m, torch.nn.MaxPool2d)]
    assert [c.kernel_size for c in convs] == [(3, 3)] * 3 and len(pools) == 3
    assert convs[0].in_channels == 5  # the two maps concatenated
    fcs = [m for m in head.fcs if isinstance(m, torch.nn.Linear)]
    # 24 x 30 -> 12 x 15 -> 6 x 7 -> 3 x 3 after three 2x2 max-pools
    assert [(f.in_features, f.out_features) for f in fcs] == [(64 * 9, 1024), (1024, 256), (256, 6)]
    drops = [m.p for m in _head(dropout=0.2).fcs if isinstance(m, torch.nn.Dropout)]
    assert drops == [0.2, 0.2]


def test_training_boxes_known_attributes_inside_regions():
    head = _head()
    unknown = [-1] * 6
    s = _sample([[0, 0, 10, 10], [20, 20, 30, 30], [40, 40, 50, 50]],
                [[1, 0, -1, 1, 0, 0], unknown, [0, 0, 0, 0, 0, 1]],
                regions=[[0, 0, 16, 16]])
    boxes, attrs = head.training_boxes(s)
    # box 1: no known value; box 2: centre (45, 45) outside the region
    assert boxes.tolist() == [[0, 0, 10, 10]]
    assert attrs.tolist() == [[1, 0, -1, 1, 0, 0]]
    boxes, _ = _head(only_in_regions=False).training_boxes(s)
    assert boxes.tolist() == [[0, 0, 10, 10], [40, 40, 50, 50]]
    boxes, _ = head.training_boxes(_sample([[40, 40, 50, 50]], [[0] * 6]))  # no key: whole image
    assert len(boxes) == 1
    boxes, _ = head.training_boxes(_sample([[40, 40, 50, 50]], [[0] * 6], regions=np.zeros((0, 4))))
    assert len(boxes) == 0  # nothing labelled


def test_missing_attributes_is_a_clear_error():
    s = _sample([[0, 0, 10, 10]], [[0] * 6])
    del s.gt_instances.attributes
    with pytest.raises(KeyError, match='img.png.*attributes.*PackSLADetInputs'):
        _head().training_boxes(s)


def test_loss_is_the_attribute_loss_of_the_selected_boxes():
    head = _head()
    feats = _feats(batch=2)
    samples = [_sample([[0, 0, 20, 20], [30, 30, 60, 50]], [[1, 0, -1, 1, 0, 0], [-1] * 6]),
               _sample([[10, 10, 40, 40]], [[0, 1, 1, 0, 0, 1]], regions=[[0, 0, 64, 64]])]
    loss = head.loss(feats, samples)['loss_attr']
    rois = bbox2roi([torch.tensor([[0., 0, 20, 20]]), torch.tensor([[10., 10, 40, 40]])])
    want = head.loss_attr(head(feats, rois), torch.tensor([[1, 0, -1, 1, 0, 0], [0, 1, 1, 0, 0, 1]]).float())
    torch.testing.assert_close(loss, want, rtol=0, atol=0)
    loss.backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in head.fcs.parameters())


def test_batch_without_training_boxes_gives_zero_loss_reaching_every_parameter():
    head = _head()
    feats = _feats()
    loss = head.loss(feats, [_sample([[0, 0, 20, 20]], [[-1] * 6])])['loss_attr']
    assert loss.item() == 0
    loss.backward()
    assert all(p.grad is not None for p in head.parameters())


def test_predict_maps_rescaled_boxes_back_to_the_input_frame():
    head = _head().eval()
    feats = _feats(batch=2)
    # detections in the original frame of images resized by 0.5
    r0 = InstanceData(bboxes=torch.tensor([[0., 0, 40, 40], [20, 20, 100, 60]]),
                      scores=torch.tensor([.9, .8]), labels=torch.tensor([0, 1]))
    r1 = InstanceData(bboxes=torch.zeros(0, 4), scores=torch.zeros(0), labels=torch.zeros(0).long())
    metas = [dict(scale_factor=(0.5, 0.5))] * 2
    out = head.predict(feats, [r0, r1], metas, rescale=True)
    want = head(feats, bbox2roi([r0.bboxes * 0.5, r1.bboxes])).sigmoid()
    torch.testing.assert_close(out[0].attributes, want, rtol=0, atol=0)
    assert out[1].attributes.shape == (0, 6)
    assert ((out[0].attributes > 0) & (out[0].attributes < 1)).all()
    same = head.predict(feats, [InstanceData(bboxes=r0.bboxes * 0.5)], metas[:1], rescale=False)
    torch.testing.assert_close(same[0].attributes, want, rtol=0, atol=0)


def test_bad_configs():
    with pytest.raises(ValueError, match='in_channels'):
        _head(in_channels=(2, ))
    with pytest.raises(ValueError, match='3 widths'):
        _head(conv_channels=(8, 8))
    with pytest.raises(ValueError, match='too small'):
        _head(roi_size=(4, 4))


def test_predict_clips_wild_boxes_to_the_image():
    """An untrained detector's boxes can be 1e9 px wide: the head pools them
    clipped to img_shape (fixed sampling ratio: bounded cost), and leaves the
    detections themselves as they are."""
    head = _head().eval()
    feats = _feats()
    wild = InstanceData(bboxes=torch.tensor([[-1e9, 10., 1e9, 2e9]]))
    out = head.predict(feats, [wild], [dict(img_shape=(64, 48), scale_factor=(1., 1.))])
    want = head(feats, torch.tensor([[0, 0., 10., 48., 64.]])).sigmoid()
    torch.testing.assert_close(out[0].attributes, want, rtol=0, atol=0)
    assert out[0].bboxes.tolist() == [[-1e9, 10., 1e9, 2e9]]
