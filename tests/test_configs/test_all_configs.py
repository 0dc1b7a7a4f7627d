"""Every shipped config builds its model and runs one loss and one predict
step on tiny input (random weights, no download)."""
from pathlib import Path

import pytest
import torch
from mmdet.registry import MODELS
from mmdet.testing import demo_mm_inputs
from mmdet.utils import register_all_modules
from mmengine.config import Config

from plb_mm.utils import check_config_types
from plb_mm.utils.config_edit import find_num_classes

from ..conftest import REPO

# configs/plb and configs/dcloss are covered, with training and predict steps,
# by test_plb_configs.py and test_dcloss_configs.py.
OWN_TESTS = ('_base_', 'grids', 'plb', 'dcloss')
CONFIGS = sorted(p for p in (REPO / 'configs').rglob('*.py')
                 if not set(p.relative_to(REPO / 'configs').parts) & set(OWN_TESTS))
GRIDS = sorted((REPO / 'configs/grids').glob('*.py'))


def test_configs_exist():
    assert len(CONFIGS) >= 4


@pytest.mark.parametrize('path', CONFIGS, ids=lambda p: str(p.relative_to(REPO / 'configs')))
def test_config_builds_and_steps(path: Path):
    register_all_modules()
    cfg = Config.fromfile(str(path))
    assert 'plb_mm' in cfg.custom_imports['imports']
    check_config_types(cfg)
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    for m in model.modules():  # what ProSelfLCProgressHook does in a runner
        if hasattr(m, 'set_progress'):
            m.set_progress(1, 10)
    num_classes = find_num_classes(cfg.model.to_dict())
    # demo_mm_inputs draws labels in [0, num_classes - 1) and needs 2 classes at least
    packed = demo_mm_inputs(2, [(3, 128, 128), (3, 96, 128)], num_items=[3, 0],
                            num_classes=max(num_classes, 2))
    for sample in packed['data_samples']:
        sample.gt_instances.labels %= num_classes
        if hasattr(model, 'attri_head'):  # SLA-Det's AttriHead trains on GT attributes
            sample.gt_instances.attributes = torch.randint(-1, 2, (len(sample.gt_instances), 6))
    model.train()
    data = model.data_preprocessor(packed, True)
    losses = model(**data, mode='loss')
    total = sum(v.sum() for k, v in losses.items() if 'loss' in k and isinstance(v, torch.Tensor)) + \
        sum(sum(x.sum() for x in v) for k, v in losses.items() if 'loss' in k and isinstance(v, list))
    assert torch.isfinite(total)
    total.backward()
    model.eval()
    with torch.no_grad():
        data = model.data_preprocessor(packed, False)
        results = model(**data, mode='predict')
    assert len(results) == 2
    for res in results:
        pred = res.pred_instances
        assert pred.bboxes.shape[1] == 4 and len(pred.scores) == len(pred.labels)
        assert pred.labels.max().item() < num_classes if len(pred.labels) else True
        if hasattr(model, 'attri_head'):
            assert pred.attributes.shape == (len(pred.labels), model.attri_head.num_attributes)


DATASET_BASES = sorted((REPO / 'configs/_base_/datasets').glob('*.py'))


@pytest.mark.parametrize('path', DATASET_BASES, ids=lambda p: p.name)
def test_dataset_base_builds_its_pipelines(path: Path):
    """Dataset bases cannot load data that is not there, but their types and
    pipelines must resolve."""
    from mmdet.registry import TRANSFORMS
    register_all_modules()
    cfg = Config.fromfile(str(path))
    cfg.custom_imports = dict(imports=['plb_mm'], allow_failed_imports=False)
    check_config_types(cfg)
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        dataset = cfg[loader]['dataset']
        while 'dataset' in dataset:  # RepeatDataset and friends
            dataset = dataset['dataset']
        for step in dataset.get('pipeline', []):
            TRANSFORMS.build(step)


@pytest.mark.parametrize('path', GRIDS, ids=lambda p: p.name)
def test_shipped_grid_loads_and_its_variants_build(path: Path, monkeypatch):
    from mmengine.config import Config as C

    from plb_mm.grid import load_grid
    monkeypatch.chdir(REPO)
    spec = load_grid(str(path))
    assert spec.baseline in spec.variants and spec.seeds
    first = {}  # one run of each variant (a k-fold grid: its first fold's options too)
    for run in spec.runs():
        first.setdefault(run.variant.name, run)
    assert set(first) == set(spec.variants)
    for run in first.values():
        cfg = C.fromfile(run.variant.config)
        cfg.merge_from_dict(run.variant.cfg_options)
        cfg.merge_from_dict(run.fold_options)
        check_config_types(cfg)


ALL_CONFIGS = sorted(p for p in (REPO / 'configs').rglob('*.py')
                     if 'grids' not in p.relative_to(REPO / 'configs').parts)


def _evaluator_needs_instances(evaluator) -> bool:
    """A COCO metric without ann_file takes its ground truth from each
    sample's 'instances' (mmdet's CocoMetric asserts it at the first image)."""
    metrics = evaluator if isinstance(evaluator, (list, tuple)) else [evaluator]
    return any('CocoMetric' in str(m.get('type', '')) and not m.get('ann_file')
               for m in metrics)


@pytest.mark.parametrize('path', ALL_CONFIGS, ids=lambda p: str(p.relative_to(REPO / 'configs')))
def test_coco_metric_without_ann_file_gets_instances(path: Path):
    """A config whose COCO metric reads its ground truth from the evaluated
    data set packs 'instances' in its test pipeline (the BDE sparse configs
    once trained 12 epochs and then failed at the first validation)."""
    cfg = Config.fromfile(str(path))
    for loader, evaluator in (('val_dataloader', 'val_evaluator'),
                              ('test_dataloader', 'test_evaluator')):
        if loader not in cfg or not _evaluator_needs_instances(cfg.get(evaluator, [])):
            continue
        dataset = cfg[loader]['dataset']
        while 'dataset' in dataset:
            dataset = dataset['dataset']
        pack = [s for s in dataset.get('pipeline', []) if s['type'] == 'PackDetInputs']
        assert pack and 'instances' in pack[-1].get('meta_keys', ()), \
            f'{path.name}: {evaluator} has a CocoMetric without ann_file, so the ' \
            f"{loader} pipeline's PackDetInputs must pass 'instances' in meta_keys"
