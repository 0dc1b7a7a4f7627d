"""CL-balanced NMS vs mmcv's NMS through ``batched_nms`` (80 classes).

    python benchmarks/nms_speed.py [--sizes 1000 10000 50000] [--device cpu|cuda] [--iters 20]

Boxes are drawn around 300 random objects (jittered copies, like a dense
head's pre-NMS output), each with one of 80 classes and a random score. Both
run through ``mmcv.ops.batched_nms`` with the same IoU threshold (0.5), so
they see the same per-class split (offset trick below 10k boxes, a loop over
classes above). Prints median ms and the ratio.
"""
import argparse
import statistics
import time

import torch
from mmcv.ops import batched_nms

import plb_mm  # noqa: F401  (registers cl_balanced_nms with mmcv)


def make_boxes(n, num_classes=80, num_objects=300, device='cpu', seed=0):
    g = torch.Generator().manual_seed(seed)
    centres = torch.rand(num_objects, 2, generator=g) * 1000
    sizes = torch.rand(num_objects, 2, generator=g) * 150 + 10
    obj = torch.randint(0, num_objects, (n, ), generator=g)
    jitter = 1 + 0.15 * torch.randn(n, 4, generator=g)
    c = centres[obj] + sizes[obj] * 0.1 * torch.randn(n, 2, generator=g)
    wh = sizes[obj] * jitter[:, :2].abs()
    boxes = torch.cat([c - wh / 2, c + wh / 2], 1)
    labels = (obj % num_classes + torch.randint(0, 2, (n, ), generator=g)) % num_classes
    scores = torch.rand(n, generator=g)
    return boxes.to(device), scores.to(device), labels.to(device)


def timed(fn, iters, device):
    times = []
    for i in range(iters + 2):
        if device == 'cuda':
            torch.cuda.synchronize()
        t0 = time.perf_counter()
        out = fn()
        if device == 'cuda':
            torch.cuda.synchronize()
        if i >= 2:
            times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times), out


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--sizes', type=int, nargs='+', default=[1000, 10000, 50000])
    p.add_argument('--device', choices=['cpu', 'cuda'])
    p.add_argument('--iters', type=int, default=20)
    args = p.parse_args()
    device = args.device or ('cuda' if torch.cuda.is_available() else 'cpu')
    print(f'device: {device}, 80 classes, IoU threshold 0.5, median of {args.iters} runs')
    print('| boxes | batched_nms, nms (ms) | batched_nms, cl_balanced_nms (ms) | ratio | kept (nms / cl) |')
    print('|---|---|---|---|---|')
    for n in args.sizes:
        boxes, scores, labels = make_boxes(n, device=device)
        t_nms, (d1, _) = timed(lambda: batched_nms(boxes, scores, labels,
                                                    dict(type='nms', iou_threshold=0.5)),
                               args.iters, device)
        t_cl, (d2, _) = timed(lambda: batched_nms(boxes, scores, labels,
                                                   dict(type='cl_balanced_nms', iou_threshold=0.5)),
                              args.iters, device)
        print(f'| {n} | {t_nms:.2f} | {t_cl:.2f} | {t_cl / t_nms:.2f}x | {len(d1)} / {len(d2)} |',
              flush=True)


if __name__ == '__main__':
    main()
