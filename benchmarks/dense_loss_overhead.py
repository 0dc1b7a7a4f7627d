"""Cost of the IAC assigner and the DC loss inside a RetinaNet loss.

    python benchmarks/dense_loss_overhead.py [--batch-size 8] [--scale 800 800] [--iters 15]

Runs the R50-FPN RetinaNet of configs/dcloss once on synthetic smears, then
times ``loss_by_feat`` + backward on those fixed head outputs for the stock
head (MaxIoUAssigner), +IAC, and +IAC+DC, taking turns call by call so that
machine drift hits all three alike. Prints medians and the added time; compare
with the step time of benchmarks/train_step.py.
"""
import argparse
import copy
import statistics
import time

import torch
from mmdet.registry import TASK_UTILS
from plb_mm.models.task_modules.weighters import build_weighters
from plb_mm.utils.benchmark import build_for_benchmark, fixed_batch

CONFIG = 'configs/dcloss/retinanet_r50_fpn_1x_synthetic-cells.py'


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('config', nargs='?', default=CONFIG)
    p.add_argument('--batch-size', type=int, default=2)
    p.add_argument('--scale', type=int, nargs=2, default=[320, 320])
    p.add_argument('--iters', type=int, default=15)
    p.add_argument('--device', choices=['cpu', 'cuda'])
    args = p.parse_args()
    device = args.device or ('cuda' if torch.cuda.is_available() else 'cpu')
    model, _ = build_for_benchmark(args.config, device=device)
    data, gts, metas = fixed_batch(model, args.batch_size, args.scale)
    with torch.no_grad():
        outs = model.bbox_head(model.extract_feat(data['inputs']))
    outs = [[t.detach().requires_grad_(True) for t in lvl] for lvl in outs]

    stock = model.bbox_head
    iac = copy.deepcopy(stock)
    iac.assigner = TASK_UTILS.build(dict(type='IoUClsAwareAssigner', pos_iou_thr=0.5,
                                         neg_iou_thr=0.4, min_pos_iou=0, ignore_iof_thr=-1))
    iac_dc = copy.deepcopy(iac)
    iac_dc.loss_weighters = build_weighters(dict(cls=[dict(type='DCWeighter')]))
    heads = dict(stock=stock, IAC=iac, **{'IAC+DC': iac_dc})
    times = {k: [] for k in heads}
    for i in range(args.iters + 2):
        for name, head in heads.items():
            if device == 'cuda':
                torch.cuda.synchronize()
            t0 = time.perf_counter()
            losses = head.loss_by_feat(*outs, gts, metas)
            sum(sum(v) for v in losses.values()).backward()
            if device == 'cuda':
                torch.cuda.synchronize()
            if i >= 2:
                times[name].append((time.perf_counter() - t0) * 1000)
    n_anchors = sum(o.shape[2] * o.shape[3] for o in outs[0]) * stock.num_base_priors
    print(f'{args.config} on {device}: batch {args.batch_size} at {args.scale[0]}x{args.scale[1]}, '
          f'{n_anchors} anchors/image, median of {args.iters} calls (loss + backward)')
    base = statistics.median(times['stock'])
    print('| head | ms | added (ms) |\n|---|---|---|')
    for name, t in times.items():
        m = statistics.median(t)
        print(f'| {name} | {m:.2f} | {m - base:+.2f} |')


if __name__ == '__main__':
    main()
