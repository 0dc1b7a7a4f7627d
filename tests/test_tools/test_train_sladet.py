"""SLA-Det end to end on a tiny synthetic SLA-Det set: the full method
(LR + PL + triplet + AttriHead, with PseudoLabelQualityHook) through
tools/train.py and tools/test.py, the full method without the head
through tools/dist_train.sh with 2 CPU processes (gloo); the crops + tiles
baseline trains on crops and validates on tiles through the runner."""
import json

import pytest

from ..conftest import REPO, run_tool, tiny_config
from .test_train import _train_steps

TINY_SLADET = dict(num_train=4, num_val=2, seed=0, preset='sladet', img_size=384)
CONFIGS = REPO / 'configs/sladet'


@pytest.fixture(scope='module')
def sladet_root(tmp_path_factory):
    from plb_mm.datasets import generate_synthetic_cells
    root = tmp_path_factory.mktemp('data') / 'sladet'
    generate_synthetic_cells(str(root), verbose=False, **TINY_SLADET)
    return root


def _tiny(path, root, base, hooks=''):
    """One epoch (2 iterations at batch 2) of ``base`` on the tiny set, then
    validation on its 2 fully annotated images."""
    return tiny_config(path, root, base=base, extra=hooks, max_epochs=1, synthetic=TINY_SLADET)


def test_full_method_with_attribute_head_trains_logs_pseudo_labels_and_f1(sladet_root, tmp_path):
    """SLA-Det*** (LR + PL + triplet + AttriHead, issues 13 and 14) through
    tools/train.py: every term is logged, the pseudo-label quality too; the
    validation runs CocoMetric and AttributeF1Metric together; tools/test.py
    --out pickles each detection's attribute probabilities."""
    import pickle
    extra = f"""custom_hooks = [
    dict(type='WeightsOnlyCheckpointHook'), dict(type='RunMetricsHook'),
    dict(type='DivergenceHook'), dict(type='TripletSwitchHook', until_epoch=40),
    dict(type='PseudoLabelQualityHook', ann_file=data_root + 'annotations/train_full.json',
         interval=1)]
val_evaluator = [
    dict(type='CocoMetric', ann_file=data_root + 'annotations/val.json', metric='bbox'),
    dict(type='AttributeF1Metric', score_thr=0.0)]
test_evaluator = val_evaluator"""
    cfg = _tiny(tmp_path / 'tiny.py', sladet_root,
                CONFIGS / 'yolox_tiny_lr-pl-triplet-attri_30e_synthetic-sladet.py', extra)
    work_dir = tmp_path / 'work'
    run_tool('tools/train.py', cfg, '--work-dir', str(work_dir),
             '--cfg-options', 'model.test_cfg.score_thr=0.0')  # 2 iterations: keep boxes
    rows = [json.loads(line) for line in
            next(work_dir.glob('*/vis_data/scalars.json')).read_text().splitlines()]
    train = [r for r in rows if 'loss' in r]
    assert [r['step'] for r in train] == [1, 2]
    for key in ('loss_obj', 'loss_pl_obj', 'loss_triplet', 'loss_attr', 'num_pseudo', 'pl_num'):
        assert all(key in r for r in train), key
    metrics = json.loads((work_dir / 'metrics.json').read_text())['val']
    assert 0 <= metrics['coco/bbox_mAP'] <= 1
    assert 0 <= metrics['attr/coverage'] <= 1 and 'attr/WBC/macro_F1' in metrics
    out = tmp_path / 'preds.pkl'
    run_tool('tools/test.py', cfg, str(work_dir / 'epoch_1.pth'), '--work-dir', str(work_dir),
             '--out', str(out), '--cfg-options', 'model.test_cfg.score_thr=0.0')
    preds = pickle.loads(out.read_bytes())
    assert len(preds) == 2
    for p in preds:
        assert p['pred_instances']['attributes'].shape == (len(p['pred_instances']['scores']), 6)


def test_full_method_dist_train_two_cpu_processes(sladet_root, tmp_path):
    cfg = _tiny(tmp_path / 'tiny.py', sladet_root,
                CONFIGS / 'yolox_tiny_lr-pl-triplet_50e_synthetic-sladet.py')
    work_dir = tmp_path / 'work'
    proc = run_tool('tools/dist_train.sh', cfg, '2', '--work-dir', str(work_dir),
                    '--cfg-options', 'train_cfg.val_interval=2', env=dict(PORT='29531'))
    log = proc.stdout + proc.stderr
    assert 'Distributed training: True' in log and 'GPU number: 2' in log
    # 4 images over 2 ranks of batch 2: 1 iteration per epoch on each rank
    assert _train_steps(work_dir) == [[1]]
    assert json.loads((work_dir / 'metrics.json').read_text())['status'] == 'finished'


def test_crops_tiles_trains_on_crops_and_validates_on_tiles(sladet_root, tmp_path):
    cfg = _tiny(tmp_path / 'tiny.py', sladet_root,
                CONFIGS / 'yolox_tiny_crops-tiles_50e_synthetic-sladet.py')
    work_dir = tmp_path / 'work'
    run_tool('tools/train.py', cfg, '--work-dir', str(work_dir),
             '--cfg-options', 'model.detector.test_cfg.score_thr=0.0')
    metrics = json.loads((work_dir / 'metrics.json').read_text())
    assert metrics['status'] == 'finished' and 0 <= metrics['val']['coco/bbox_mAP'] <= 1

