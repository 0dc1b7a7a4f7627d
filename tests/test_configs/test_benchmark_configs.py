"""The benchmark kit's configs (configs/benchmark/) and grids: every config
evaluates with BenchmarkMetric at IoU 0.21 and 0.5 and trains with Adam on
class-balanced batches; the CPU configs train 2 iterations with their own
sampler and pipeline, then predict; each grid variant changes one knob of its
family's row-3 config, also after the grid runner dumps its config."""
import copy
import math
from pathlib import Path

import mmdet
import pytest
from mmengine.config import Config

from plb_mm.apis import build_runner, setup_train_cfg
from plb_mm.grid import load_grid
from plb_mm.grid.runner import Launch, command

from ..conftest import REPO, few_iters_config, predict_once

BENCH = sorted((REPO / 'configs/benchmark').glob('*.py'))
CPU = [p for p in BENCH if p.stem.endswith('_synthetic-cells')]
MMDET_YOLO = Path(mmdet.__file__).parent / '.mim/configs/yolo'


def _anchors(cfg):
    """The 9 (w, h) from stride 8 up (base_sizes lists stride 32 first)."""
    return [wh for level in cfg.model.bbox_head.anchor_generator.base_sizes[::-1] for wh in level]


def test_the_kit_has_its_configs():
    assert {p.name for p in BENCH} == {
        'faster-rcnn_r18_fpn_tiny_balanced-adam_12e_synthetic-cells.py',
        'faster-rcnn_r18_fpn_tiny_balanced-adam-aug240_12e_synthetic-cells.py',
        'yolov3_mobilenetv2_balanced-adam_320-12e_synthetic-cells.py',
        'faster-rcnn_r50_fpn_balanced-adam_110e_deeplesion.py',
        'yolov3_d53_balanced-adam_416-110e_deeplesion.py',
    }


@pytest.mark.parametrize('path', BENCH, ids=lambda p: p.stem)
def test_config_is_the_papers_row_3(path):
    cfg = Config.fromfile(str(path))
    loader = cfg.train_dataloader
    assert loader.sampler == dict(type='ClassBalancedSampler') and loader.batch_sampler is None
    classes = len(cfg.train_dataloader.dataset.metainfo.classes)
    assert loader.batch_size % classes == 0  # every batch balanced
    assert cfg.val_evaluator == cfg.test_evaluator == [
        dict(type='BenchmarkMetric', iou_thr=0.21),
        dict(type='BenchmarkMetric', iou_thr=0.5, prefix='bench50')]
    assert cfg.optim_wrapper.optimizer == dict(type='Adam', lr=1e-4, weight_decay=0)
    assert cfg.param_scheduler == []
    assert cfg.model.backbone.init_cfg.type == 'Pretrained'
    if cfg.model.type == 'YOLOV3':
        areas = [w * h for w, h in _anchors(cfg)]
        assert len(areas) == 9 and areas == sorted(areas)  # optimize_anchors' order


@pytest.mark.parametrize('path', CPU, ids=lambda p: p.stem)
def test_cpu_config_trains_on_its_balanced_batches_and_predicts(path, synthetic_root, tmp_path):
    """2 iterations on the tiny smears with the config's sampler and training
    pipeline, its final resize at 160 px (the test's time), batches of 3."""
    own = Config.fromfile(str(path)).train_dataloader
    cfg = few_iters_config(path, synthetic_root, tmp_path, iters=2)
    loader = cfg.train_dataloader
    loader.batch_size = 3  # one draw per class
    loader.sampler = own.sampler
    loader.batch_sampler = own.batch_sampler
    assert own.dataset.pipeline[-2]['type'] == 'Resize'
    own.dataset.pipeline[-2]['scale'] = (160, 160)
    loader.dataset.pipeline = own.dataset.pipeline
    runner = build_runner(setup_train_cfg(cfg, work_dir=str(tmp_path)))
    runner.train()
    assert runner.iter == 2
    losses = {k: v.current() for k, v in runner.message_hub.log_scalars.items()
              if k.startswith('train/loss')}
    assert 'train/loss' in losses and all(math.isfinite(v) for v in losses.values())
    sampler = runner.train_dataloader.sampler
    assert type(sampler).__name__ == 'ClassBalancedSampler'
    # every tiny training image holds red cells: an epoch is 3 classes x 8 images
    assert sampler.num_groups == 3 and len(sampler) == 3 * sampler.largest == 24
    assert runner.train_dataloader.dataset[0]['inputs'].shape[1:] == (160, 160)
    predict_once(runner)


def _flat(obj, prefix=''):
    if isinstance(obj, dict):
        items = obj.items()
    elif isinstance(obj, (list, tuple)) and any(isinstance(v, (dict, list)) for v in obj):
        items = enumerate(obj)
    else:
        return {prefix: obj}
    out = {}
    for k, v in items:
        out.update(_flat(v, f'{prefix}.{k}' if prefix else str(k)))
    return out


def _changed(cfg, row3):
    a, b = _flat(cfg.to_dict()), _flat(row3.to_dict())
    return {k for k in set(a) | set(b) if a.get(k, '<none>') != b.get(k, '<none>')}


_PIPELINES = ('train_dataloader.dataset.pipeline', 'val_dataloader.dataset.pipeline',
              'test_dataloader.dataset.pipeline')
KNOBS = {  # the keys a variant may change (prefixes), by the suffix of its name
    'unbalanced': ('train_dataloader.sampler', ),
    'scratch': ('model.backbone.init_cfg', 'model.backbone.frozen_stages',
                'model.backbone.norm_eval'),
    'sgd': ('optim_wrapper.optimizer', ),
    'aug240': _PIPELINES + ('custom_imports', 'paper_augmentation', 'paper_test_steps'),
    'hires': _PIPELINES + ('model.bbox_head.anchor_generator.base_sizes', ),
    'cocoanchors': ('model.bbox_head.anchor_generator.base_sizes', ),
    '36e': ('train_cfg.max_epochs', 'default_hooks.checkpoint.interval'),
}
COCO_ANCHORS = {'benchmark_tiny': 'yolov3_mobilenetv2_8xb24-320-300e_coco.py',
                'benchmark_r50': 'yolov3_d53_8xb8-ms-416-273e_coco.py'}


def _scale(cfg, loader):
    return next(s['scale'] for s in cfg[loader].dataset.pipeline if s['type'] == 'Resize')


@pytest.mark.parametrize('grid', ['benchmark_tiny', 'benchmark_r50'])
def test_grid_plans_the_matrix_one_knob_per_variant(grid, tmp_path, monkeypatch):
    monkeypatch.chdir(REPO)
    spec = load_grid(f'configs/grids/{grid}.py')
    spec.work_root = str(tmp_path)
    assert spec.baseline == 'frcnn-r3' and spec.seeds == [0, 1, 2]
    assert spec.metrics[:2] == ['bench/mAP', 'bench50/mAP']
    assert len(spec.runs()) == {'benchmark_tiny': 18, 'benchmark_r50': 13}[grid] * 3
    row3 = {f: Config.fromfile(spec.variants[f'{f}-r3'].config) for f in ('frcnn', 'yolo')}
    for name, variant in spec.variants.items():
        family = name.split('-')[0]
        # the config the run trains with: the grid runner's dump when it has cfg_options;
        # made again for every seed from the same cfg_options, which the merge must not
        # consume (mmengine pops a `_delete_` out of the dict it is given)
        options = copy.deepcopy(variant.cfg_options)
        cmd = command(spec, spec.run(name, 1), Launch())
        assert cmd[0] == 'tools/train.py' and cmd[-1] == 'randomness.seed=1'
        assert variant.cfg_options == options
        cfg = Config.fromfile(cmd[1])
        knobs = [k for k in KNOBS if k in name.split('-')]
        allowed = tuple(p for k in knobs for p in KNOBS[k])
        changed = _changed(cfg, row3[family])
        assert bool(changed) == bool(knobs), (name, changed)
        assert all(k.startswith(allowed) for k in changed), (name, changed)
        if 'unbalanced' in knobs:
            assert cfg.train_dataloader.sampler == dict(type='DefaultSampler')  # shuffles
        if 'scratch' in knobs:
            assert cfg.model.backbone.init_cfg is None
            assert cfg.model.backbone.get('norm_eval') in (None, False)
        if 'sgd' in knobs:
            assert cfg.optim_wrapper.optimizer == dict(type='SGD', lr=2e-5, momentum=0.9,
                                                       weight_decay=0)
        if 'aug240' in knobs:
            assert [s['type'] for s in cfg.train_dataloader.dataset.pipeline][2:] == \
                ['PadSides', 'Rotate', 'RandomCropSides', 'Resize', 'PackDetInputs']
            assert _scale(cfg, 'test_dataloader') == _scale(cfg, 'val_dataloader') == (240, 240)
        if 'hires' in knobs:
            factor = _scale(cfg, 'train_dataloader')[0] / _scale(row3['yolo'],
                                                                 'train_dataloader')[0]
            assert factor == 2
            assert _scale(cfg, 'test_dataloader') == _scale(cfg, 'val_dataloader')
            assert _scale(cfg, 'test_dataloader')[0] > _scale(cfg, 'train_dataloader')[0]
            assert _anchors(cfg) == [(w * 2, h * 2) for w, h in _anchors(row3['yolo'])]
        if '36e' in knobs:  # unbalanced for the balanced rows' iterations: 36 x 27 vs 12 x 80
            assert cfg.train_cfg.max_epochs == 36 and row3[family].train_cfg.max_epochs == 12
        if 'cocoanchors' in knobs:
            mmdet_cfg = Config.fromfile(str(MMDET_YOLO / COCO_ANCHORS[grid]))
            assert _anchors(cfg) == _anchors(mmdet_cfg)
