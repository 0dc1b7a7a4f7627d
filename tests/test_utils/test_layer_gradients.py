"""plb_mm.utils.layer_gradients: the BDE paper's layer-level gradient analysis
(Section 5, Eqs. 14-16, Figure 8) and its tool."""
import csv

import numpy as np
import pytest
import torch
from mmcv.cnn import ConvModule
from torch import nn

from plb_mm.engine.checkpoint import CheckpointMismatchError
from plb_mm.utils.layer_gradients import (LayerGradients, conv_layers, default_labels,
                                          layer_gradients, loss_dataset, loss_pipeline,
                                          mean_abs_conv_grads, prepare_model,
                                          write_layer_gradients)

from ..conftest import REPO, run_tool, tiny_config

TINY = REPO / 'configs/plb/faster-rcnn_r18_fpn_tiny_12e_synthetic-cells.py'
PROSELFLC = REPO / 'configs/bde/faster-rcnn_r18_fpn_tiny_proselflc_12e_sparse-cells.py'
# the test set at 160 px, annotations loaded after Resize as in mmdet's test pipelines
SMALL_TEST = '''test_dataloader = dict(val_dataloader, dataset=dict(
    val_dataloader['dataset'], pipeline=[
        dict(type='LoadImageFromFile'), dict(type='Resize', scale=(160, 160), keep_ratio=True),
        dict(type='LoadAnnotations', with_bbox=True), dict(type='PackDetInputs')]))'''


class _Toy(nn.Module):
    """conv ``first`` (1 -> 2 channels, 1x1, no bias), then a Linear (not a
    conv layer) and a ConvModule the loss below does not use."""

    def __init__(self):
        super().__init__()
        self.first = nn.Conv2d(1, 2, 1, bias=False)
        self.block = nn.Sequential(nn.Linear(1, 1), ConvModule(2, 1, 1))


def _toy_loss(model, x):
    out = model.first(x)  # d/dW_k of sum(out[:, k]) = sum(x)
    return out[:, 0].sum() + 3 * out[:, 1].sum()


def test_mean_abs_grad_by_hand():
    model = _Toy()
    assert [n for n, _ in conv_layers(model)] == ['first', 'block.1.conv']
    # image 1: sum(x) = 2 -> dL/dW = (2, 6); image 2: sum(x) = -4 -> (-4, -12)
    images = [torch.ones(1, 1, 2, 1), torch.full((1, 1, 2, 2), -1.0)]
    lines = []
    mu = mean_abs_conv_grads(model, images, _toy_loss, lines.append, every=1, total=2)
    # Eq. 16 (|.| per image, then the mean over images): G = (3, 9); Eqs. 14-15: mu = 6.
    # The absolute value of the mean gradient would give (1, 3) -> 2.
    assert mu.tolist() == [6.0, 0.0]  # the ConvModule is not on the loss path
    assert lines == ['1/2 images', '2/2 images']
    with pytest.raises(ValueError, match='at least one'):
        mean_abs_conv_grads(model, [], _toy_loss)


def test_prepare_model_freezes_bn_and_sets_progress():
    class Progress(nn.Module):
        def set_progress(self, cur_iter, max_iters):
            self.progress = (cur_iter, max_iters)

    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), Progress())
    model[0].weight.requires_grad_(False)  # a stage frozen in training
    model.eval()
    notes = prepare_model(model)
    assert model.training and not model[1].training
    assert model[0].weight.requires_grad
    assert model[2].progress == (1, 1)
    assert any('set_progress(1, 1)' in n and n.startswith('2 (Progress)') for n in notes)
    assert any('1 conv layers are frozen in training' in n for n in notes)
    model[:2](torch.randn(2, 1, 5, 5))  # BN in eval mode: its running stats stay
    assert model[1].running_mean.tolist() == [0.0, 0.0]


def test_loss_pipeline_loads_boxes_before_resize():
    pipe = [dict(type='LoadImageFromFile'), dict(type='Resize', scale=(160, 160)),
            dict(type='mmdet.LoadAnnotations', with_bbox=True), dict(type='PackDetInputs')]
    out, note = loss_pipeline(pipe)
    assert [t['type'] for t in out] == ['LoadImageFromFile', 'mmdet.LoadAnnotations', 'Resize',
                                        'PackDetInputs']
    assert 'moved before Resize' in note and pipe[1]['type'] == 'Resize'  # input untouched
    assert loss_pipeline(out) == (out, None)
    with pytest.raises(ValueError, match='does not load annotations'):
        loss_pipeline([dict(type='LoadImageFromFile'), dict(type='PackDetInputs')])


def test_default_labels():
    assert default_labels(['w/s0.pth', 'w/s1.pth']) == ['s0', 's1']
    assert default_labels(['a/x/epoch_12.pth', 'b/x/epoch_12.pth']) == ['a/x/epoch_12',
                                                                        'b/x/epoch_12']
    assert default_labels(['w/s0.pth', 'w/s0.pth']) == ['1:w/s0.pth', '2:w/s0.pth']


def test_smallest_per_layer_summary_csv_and_png(tmp_path):
    values = np.array([[1, 2], [3, 1], [2, 2], [1, 5], [4, 3], [0.5, 0.6]])
    res = LayerGradients(layers=[f'l{i}' for i in range(6)], labels=['bde', 'fpn'],
                         values=values, images=4)
    assert res.smallest().tolist() == [0, 1, -1, 0, 1, 0]  # -1: a tie
    # thirds: layers 1-2, 3-4, 5-6
    assert res.smallest_counts() == {'bde': [3, 1, 1, 1], 'fpn': [2, 1, 0, 1],
                                     'tie': [1, 0, 1, 0]}
    text = res.summary()
    assert '6 layers, 4 test images (thirds: 1-2, 3-4, 5-6)' in text
    assert text.splitlines()[2].split() == ['bde', '3', '1', '1', '1']
    assert text.splitlines()[4].split() == ['tie', '1', '0', '1', '0']
    csv_path, png_path = write_layer_gradients(res, str(tmp_path / 'out'))
    with open(csv_path) as f:
        rows = list(csv.reader(f))
    assert rows[0] == ['index', 'layer', 'bde', 'fpn'] and rows[6] == ['6', 'l5', '0.5', '0.6']
    with open(png_path, 'rb') as f:
        assert f.read(8) == b'\x89PNG\r\n\x1a\n'


def _save_init(cfg_path, path, seed, edit=None):
    """The config's model at PyTorch's default init for ``seed``, saved as a checkpoint."""
    from mmdet.registry import MODELS
    from mmdet.utils import register_all_modules
    from mmengine.config import Config
    register_all_modules()
    torch.manual_seed(seed)
    model = MODELS.build(Config.fromfile(cfg_path).model)
    state = model.state_dict()
    if edit:
        edit(state)
    torch.save(dict(state_dict=state), path)
    return model


@pytest.fixture(scope='module')
def tiny(synthetic_root, tmp_path_factory):
    """The tiny CPU config (test set at 160 px) and two random-init checkpoints."""
    d = tmp_path_factory.mktemp('layer_gradients')
    cfg = tiny_config(d / 'tiny.py', synthetic_root, base=TINY, extra=SMALL_TEST)
    model = _save_init(cfg, d / 's0.pth', 0)
    _save_init(cfg, d / 's1.pth', 1)
    n_conv = sum(isinstance(m, nn.Conv2d) for m in model.modules())
    return dict(cfg=cfg, dir=d, s0=str(d / 's0.pth'), s1=str(d / 's1.pth'), n_conv=n_conv)


def test_tiny_model_two_checkpoints_and_a_copy(tiny, tmp_path):
    copy = tmp_path / 'copy_of_s0.pth'
    copy.write_bytes(open(tiny['s0'], 'rb').read())
    lines = []
    res = layer_gradients(tiny['cfg'], [tiny['s0'], tiny['s1'], str(copy)],
                          labels=['s0', 's1', 'copy'], num_images=2, log=lines.append)
    assert res.values.shape == (tiny['n_conv'], 3) and len(res.layers) == tiny['n_conv']
    assert res.layers[0] == 'backbone.conv1' and res.layers[-1] == 'rpn_head.rpn_reg'
    assert np.isfinite(res.values).all() and (res.values > 0).all()
    # same weights, same images, same sampler draws: the same column, bit for bit
    assert res.values[:, 0].tolist() == res.values[:, 2].tolist()
    assert (res.values[:, 0] != res.values[:, 1]).all()
    # s0 and its copy tie wherever s1 is not the smallest
    best = res.smallest()
    assert set(best.tolist()) <= {1, -1} and res.images == 2
    assert any('LoadAnnotations moved before Resize' in n for n in res.notes)
    assert '[layer_gradients] copy: 2/2 images' in lines
    csv_path, png_path = write_layer_gradients(res, str(tmp_path))
    with open(csv_path) as f:
        rows = list(csv.reader(f))
    assert rows[0] == ['index', 'layer', 's0', 's1', 'copy'] and len(rows) == tiny['n_conv'] + 1
    assert (tmp_path / 'layer_gradients.png').stat().st_size > 1000


def test_boxes_follow_the_resized_image(tiny):
    from mmengine.config import Config
    cfg = Config.fromfile(tiny['cfg'])
    ds, note = loss_dataset(cfg)
    item = ds[0]
    meta = item['data_samples'].metainfo
    assert meta['img_shape'] == (160, 160) and meta['scale_factor'] == (0.5, 0.5)  # 320 -> 160
    boxes = item['data_samples'].gt_instances.bboxes.tensor
    original = ds.get_data_info(0)['instances']
    assert len(boxes) == len(original) > 0
    assert torch.allclose(boxes, torch.tensor([i['bbox'] for i in original]) / 2)


def test_errors_name_the_checkpoint(tiny, tmp_path):
    def shrink_classifier(state):
        state['roi_head.bbox_head.fc_cls.weight'] = state['roi_head.bbox_head.fc_cls.weight'][:2]

    other = tmp_path / 'other_classes.pth'
    _save_init(tiny['cfg'], other, 0, shrink_classifier)
    with pytest.raises(CheckpointMismatchError, match=f'{other}: the checkpoint does not fit'):
        layer_gradients(tiny['cfg'], [tiny['s0'], str(other)], num_images=1, log=None)
    missing = str(tmp_path / 'nope.pth')
    with pytest.raises(FileNotFoundError, match=f'{missing}: no such checkpoint file'):
        layer_gradients(tiny['cfg'], [tiny['s0'], missing], num_images=1, log=None)
    with pytest.raises(ValueError, match='1 labels for 2 checkpoints'):
        layer_gradients(tiny['cfg'], [tiny['s0'], tiny['s1']], labels=['a'], log=None)


def test_proselflc_is_set_to_the_end_of_training(synthetic_root, tmp_path):
    # the sparse configs evaluate with a list of metrics: tiny_config's dict replaces it
    metric = '''val_evaluator = dict(_delete_=True, type='CocoMetric',
                     ann_file=data_root + 'annotations/val.json')
test_evaluator = val_evaluator
'''
    cfg = tiny_config(tmp_path / 'proselflc.py', synthetic_root, base=PROSELFLC,
                      extra=metric + SMALL_TEST)
    _save_init(cfg, tmp_path / 'p.pth', 0)
    res = layer_gradients(cfg, [str(tmp_path / 'p.pth')], num_images=1, log=None)
    assert 'roi_head.bbox_head.loss_cls (ProSelfLCLoss): set_progress(1, 1), the end of ' \
           'training' in res.notes
    assert np.isfinite(res.values).all() and (res.values >= 0).all()


def test_cli(tiny, tmp_path):
    out = tmp_path / 'out'
    proc = run_tool('tools/analysis_tools/layer_gradients.py', tiny['cfg'], tiny['s0'],
                    tiny['s1'], '--labels', 'A', 'B', '--images', '1', '--out-dir', str(out),
                    '--title', 'FPN vs BDE',
                    env=dict(OMP_NUM_THREADS='1'), timeout=300)
    assert f'{tiny["n_conv"]} layers, 1 test images' in proc.stdout
    assert any(line.split()[:1] == ['A'] for line in proc.stdout.splitlines())
    with open(out / 'layer_gradients.csv') as f:
        assert next(csv.reader(f)) == ['index', 'layer', 'A', 'B']
    assert (out / 'layer_gradients.png').stat().st_size > 1000
