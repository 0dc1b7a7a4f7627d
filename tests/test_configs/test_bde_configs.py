"""Every config of configs/bde trains a few iterations through plb_mm's runner
(ProSelfLC with its progress hook) and its grid varies only the retention rate."""
import math

import pytest
from mmengine.config import Config

from plb_mm.grid.spec import load_grid

from ..conftest import REPO, TINY_SYNTHETIC, train_few_iters

BDE_CONFIGS = sorted((REPO / 'configs/bde').glob('*tiny*.py'))


def test_table_rows_exist():
    names = {p.name for p in BDE_CONFIGS}
    for row in ('', 'ls_', 'proselflc_', 'bde_', 'bde-plb1c_'):
        assert f'faster-rcnn_r18_fpn_tiny_{row}12e_sparse-cells.py' in names


@pytest.mark.parametrize('path', BDE_CONFIGS, ids=lambda p: p.stem)
def test_bde_config_trains(path, synthetic_root, tmp_path):
    cfg = Config.fromfile(str(path))
    parts = set(path.stem.split('_')[-3].split('-'))
    head = cfg.model.roi_head.bbox_head
    assert ('bde' in parts) == any(w['type'] == 'BDEWeighter'
                                   for w in head.loss_weighters.get('cls', []))
    assert ('plb1c' in parts) == bool(cfg.model.rpn_head.loss_weighters.get('cls'))
    assert cfg.train_dataloader.dataset.sparsify == dict(ratio=0.5, seed=0)
    assert 'sparsify' not in cfg.val_dataloader.dataset  # validation stays fully annotated
    losses, runner = train_few_iters(path, synthetic_root, tmp_path, iters=2)
    assert {'loss', 'loss_cls', 'loss_bbox', 'loss_rpn_cls'} <= set(losses)
    assert all(math.isfinite(v) for v in losses.values())
    if 'proselflc' in parts:
        assert runner.model.roi_head.bbox_head.loss_cls.cur_iter == 2


def test_grid_varies_the_retention_rate_only():
    spec = load_grid(str(REPO / 'configs/grids/bde_sparse_tiny.py'))
    assert len(spec.variants) == 16  # 5 rows x 3 rates + the negw control
    for name, v in spec.variants.items():
        method, r = name.rsplit('-r', 1)
        assert v.cfg_options == {'train_dataloader.dataset.sparsify': dict(ratio=float(r), seed=0)}
        prefix = '' if method == 'fpn' else f'{method}_'
        assert v.config.endswith(f'tiny_{prefix}12e_sparse-cells.py')


def test_sparse_config_evaluates_ground_truth_as_perfect(synthetic_root):
    """The sparse configs' evaluators (11-point VOC AP + recall, COCO AP from
    the validation set's own annotations) run on real validation samples:
    the ground truth as predictions scores 1 everywhere."""
    import torch
    from mmdet.registry import DATASETS
    from mmdet.utils import register_all_modules
    from mmengine.evaluator import Evaluator
    from mmengine.structures import InstanceData

    import plb_mm  # noqa: F401
    register_all_modules()
    cfg = Config.fromfile(str(REPO / 'configs/bde/faster-rcnn_r18_fpn_tiny_12e_sparse-cells.py'))
    ds_cfg = cfg.val_dataloader.dataset
    ds_cfg.update(data_root=f'{synthetic_root}/', synthetic=TINY_SYNTHETIC)
    dataset = DATASETS.build(ds_cfg)
    evaluator = Evaluator(cfg.val_evaluator)
    evaluator.dataset_meta = dataset.metainfo
    for i in range(len(dataset)):
        sample = dataset[i]['data_samples']
        gt = sample.gt_instances  # the test pipeline loads boxes in original coordinates
        sample.pred_instances = InstanceData(bboxes=gt.bboxes.tensor, labels=gt.labels,
                                             scores=torch.ones(len(gt)))
        evaluator.process([sample])
    metrics = evaluator.evaluate(len(dataset))
    assert metrics['pascal_voc/mAP'] == pytest.approx(1.0)
    assert metrics['pascal_voc/recall'] == pytest.approx(1.0)
    assert metrics['coco/bbox_mAP'] == pytest.approx(1.0)
