"""AttriYOLOX: the detection losses are YOLOX's exactly (the neck gets the
same maps), plus the attribute loss; predictions carry attributes."""
import pytest
import torch
from mmengine.config import Config

from mmdet.registry import MODELS
from mmdet.testing import demo_mm_inputs
from mmdet.utils import register_all_modules

from ...conftest import REPO

SLADET = REPO / 'configs/sladet'


def _models():
    register_all_modules()
    import plb_mm  # noqa: F401
    plain = Config.fromfile(str(SLADET / 'yolox_tiny_lr_50e_synthetic-sladet.py')).model
    attri = Config.fromfile(str(SLADET / 'yolox_tiny_lr-attri_30e_synthetic-sladet.py')).model
    torch.manual_seed(0)
    yolox = MODELS.build(plain)
    model = MODELS.build(attri)
    missing, unexpected = model.load_state_dict(yolox.state_dict(), strict=False)
    assert not unexpected and missing and all(k.startswith('attri_head.') for k in missing)
    return yolox, model


def _batch():
    torch.manual_seed(3)
    packed = demo_mm_inputs(2, [(3, 128, 128), (3, 128, 96)], num_items=[3, 2], num_classes=3)
    for s in packed['data_samples']:
        n = len(s.gt_instances)
        s.gt_instances.attributes = torch.randint(-1, 2, (n, 6))
    return packed


def test_detection_losses_equal_yolox_and_attribute_loss_is_added():
    yolox, model = _models()
    packed = _batch()
    yolox.train(), model.train()
    want = yolox(**yolox.data_preprocessor(packed, True), mode='loss')
    got = model(**model.data_preprocessor(packed, True), mode='loss')
    assert set(got) == set(want) | {'loss_attr'}
    for k, v in want.items():
        torch.testing.assert_close(got[k], v, rtol=0, atol=0, msg=k)
    assert torch.isfinite(got['loss_attr']) and got['loss_attr'] > 0
    got['loss_attr'].backward()
    assert model.backbone.stem.conv.conv.weight.grad.abs().sum() > 0  # MTL: reaches the backbone
    assert model.neck.out_convs[0].conv.weight.grad is None  # but not the neck


def test_predictions_carry_attribute_probabilities():
    yolox, model = _models()
    packed = _batch()
    yolox.eval(), model.eval()
    model.test_cfg.score_thr = yolox.test_cfg.score_thr = 0.0
    with torch.no_grad():
        want = yolox(**yolox.data_preprocessor(packed, False), mode='predict')
        got = model(**model.data_preprocessor(packed, False), mode='predict')
    for g, w in zip(got, want):
        torch.testing.assert_close(g.pred_instances.bboxes, w.pred_instances.bboxes, rtol=0, atol=0)
        attrs = g.pred_instances.attributes
        assert attrs.shape == (len(g.pred_instances), 6)
        assert ((attrs >= 0) & (attrs <= 1)).all()


def test_indices_beyond_the_backbone_outputs_are_a_clear_error():
    register_all_modules()
    import plb_mm  # noqa: F401
    cfg = Config.fromfile(str(SLADET / 'yolox_tiny_lr-attri_30e_synthetic-sladet.py')).model
    cfg.backbone.out_indices = (2, 3, 4)
    with pytest.raises(ValueError, match='out_indices'):
        MODELS.build(cfg)
