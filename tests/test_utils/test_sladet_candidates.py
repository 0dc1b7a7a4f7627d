"""plb_mm.utils.sladet_candidates: what SLA-Det's PL and triplet terms see."""
import json

import pytest
import torch

from plb_mm.utils.sladet_candidates import (best_confidence, candidate_stats,
                                            format_candidate_stats)

from ..conftest import REPO, run_tool, tiny_config

TINY_SLADET = dict(num_train=4, num_val=2, seed=0, preset='sladet', img_size=384)
CONFIG = REPO / 'configs/sladet/yolox_tiny_lr-pl-triplet_50e_synthetic-sladet.py'


def test_best_confidence_by_hand():
    gt = torch.tensor([[0., 0., 10., 10.], [100., 100., 110., 110.]])
    pred = torch.tensor([[0., 0., 10., 10.],     # IoU 1 with gt 0
                         [0., 0., 10., 12.],     # IoU 100/120 = 0.83 with gt 0
                         [0., 0., 10., 25.],     # IoU 0.4 with gt 0: not counted
                         [105., 105., 115., 115.]])  # IoU 25/175 with gt 1: not counted
    conf = torch.tensor([0.2, 0.6, 0.9, 0.99])
    best, idx = best_confidence(pred, conf, gt)
    assert best.tolist() == pytest.approx([0.6, 0.0]) and idx.tolist() == [1, -1]
    best, idx = best_confidence(pred, conf, gt, iou_thr=0.1)
    assert best.tolist() == pytest.approx([0.9, 0.99]) and idx.tolist() == [2, 3]
    assert best_confidence(pred, conf, gt[:0])[0].shape == (0,)
    best, idx = best_confidence(pred[:0], conf[:0], gt)
    assert best.tolist() == [0.0, 0.0] and idx.tolist() == [-1, -1]


@pytest.fixture(scope='module')
def sladet_setup(tmp_path_factory):
    from plb_mm.datasets import generate_synthetic_cells
    from plb_mm.utils.benchmark import build_for_benchmark
    root = tmp_path_factory.mktemp('data') / 'sladet'
    generate_synthetic_cells(str(root), verbose=False, **TINY_SLADET)
    cfg = tiny_config(root.parent / 'tiny.py', root, base=CONFIG, synthetic=TINY_SLADET)
    model, _ = build_for_benchmark(cfg, num_classes=3)
    head = model.bbox_head
    ckpts = {}
    for name, bias in (('sure', 10.), ('unsure', -10.)):
        for convs in (head.multi_level_conv_cls, head.multi_level_conv_obj):
            for conv in convs:
                torch.nn.init.zeros_(conv.weight)
                torch.nn.init.constant_(conv.bias, bias)
        ckpts[name] = root.parent / f'{name}.pth'
        torch.save({'state_dict': model.state_dict()}, ckpts[name])
    return root, cfg, ckpts


def test_candidate_stats_counts_cells_and_gates(sladet_setup):
    root, cfg, ckpts = sladet_setup
    hidden = root / 'annotations/train_full.json'
    stats = candidate_stats(cfg, [None, str(ckpts['sure']), str(ckpts['unsure'])], str(hidden),
                            num_batches=1, batch_size=4)
    assert stats['images'] == 4
    train = json.loads((root / 'annotations/train.json').read_text())
    rows = list(stats['rows'].values())
    for r in rows:  # every labelled cell of the 4 images is scored once
        assert r['num_labelled'] == len(train['annotations'])
        assert 0 < r['num_hidden'] < len(json.loads(hidden.read_text())['annotations'])
        shares = [r['labelled'][t] for t in stats['thresholds']]
        assert shares == sorted(shares, reverse=True)  # fewer cells reach a higher bar
    init, sure, unsure = rows
    # conf = sigmoid(10)^2 = 0.99991 for every prior: every candidate is above
    # every threshold, none in the triplet band (0.70, 0.95]; NMS leaves some
    counts = {c['per_img'] for c in sure['candidates'].values()}
    assert len(counts) == 1 and counts.pop() > 0
    assert sure['triplet_per_img'] == 0
    # sigmoid(-10)^2 ~ 2e-9: nothing reaches 0.3, no cell, no candidate
    assert all(c['per_img'] == 0 for c in unsure['candidates'].values())
    assert all(v == 0 for v in unsure['labelled'].values())
    # the saturated head: at IoU >= 0 any prediction counts, every labelled
    # cell reaches 0.95 and its best prediction has obj and cls ~1
    loose = candidate_stats(cfg, [str(ckpts['sure'])], str(hidden), num_batches=1,
                            batch_size=2, iou_thr=0.0)['rows'][str(ckpts['sure'])]
    assert loose['labelled'][0.95] == 1
    assert loose['labelled_best']['obj'] == pytest.approx(1, abs=1e-3)
    assert loose['labelled_best']['cls'] == pytest.approx(1, abs=1e-3)
    assert unsure['pl']['per_img'] == 0 and unsure['pl']['precision'] is None
    text = format_candidate_stats(stats)
    assert text.count('| 0.95 |') == 3 and 'PL gate (conf > 0.95' in text


def test_tool_writes_markdown(sladet_setup, tmp_path):
    root, cfg, ckpts = sladet_setup
    out = tmp_path / 'cands.md'
    proc = run_tool('tools/analysis_tools/sladet_candidates.py', cfg, str(ckpts['sure']),
                    '--hidden', str(root / 'annotations/train_full.json'), '--batches', '1',
                    '--batch-size', '2', '--out', str(out))
    assert 'triplet band (0.7, 0.95]' in proc.stdout
    assert out.read_text().count('| conf > |') == 1
    bad = run_tool('tools/analysis_tools/sladet_candidates.py', cfg, '--hidden',
                   str(root / 'missing.json'), '--batches', '1', check=False)
    assert bad.returncode != 0 and 'missing.json' in bad.stderr
