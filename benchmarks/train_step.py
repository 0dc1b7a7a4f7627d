"""Time training steps of configs side by side in one process.

    python benchmarks/train_step.py BASE_CONFIG OTHER_CONFIG [...] \
        [--batch-size 2] [--scale 320 320] [--warmup 3] [--iters 10] [--device cpu|cuda] \
        [--data-root data/synthetic_cells/]

Prints a Markdown table: median/min ms per step, change vs the first config,
peak memory of a step. Every model trains on the same synthetic batches; see
plb_mm/utils/benchmark.py for what is measured.
"""
import argparse
import json

from mmengine.config import DictAction

from plb_mm.utils.benchmark import benchmark_train_step, format_benchmark


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('configs', nargs='+', help='the first is the reference')
    p.add_argument('--batch-size', type=int, default=2)
    p.add_argument('--scale', type=int, nargs=2, default=[320, 320], metavar=('W', 'H'))
    p.add_argument('--warmup', type=int, default=3)
    p.add_argument('--iters', type=int, default=10)
    p.add_argument('--device', choices=['cpu', 'cuda'])
    p.add_argument('--cfg-options', nargs='+', action=DictAction,
                   help='applied to every config')
    p.add_argument('--data-root', default='data/synthetic_cells/',
                   help='synthetic set of the batches (data/synthetic_sladet/ for SLA-Det)')
    p.add_argument('--json', help='also write the rows to this file')
    args = p.parse_args()
    rows = benchmark_train_step(args.configs, args.batch_size, args.scale, args.warmup,
                                args.iters, args.device, cfg_options=args.cfg_options,
                                data_root=args.data_root)
    print(format_benchmark(rows))
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(rows, f, indent=1)


if __name__ == '__main__':
    main()
