"""Training scalars of a grid's runs, per variant (plb_mm/grid/train_scalars.py):

    python tools/analysis_tools/train_scalars.py configs/grids/sladet_tiny.py \
        --keys num_pseudo pl_num pl_precision pl_recall num_triplet --epochs 46 50 \
        [--variants lr-pl lr-pl-triplet] [--seeds 0 1 2] [--csv OUT.csv]

Prints a Markdown table: the mean over epochs A-B of each logged scalar
(mean ± std over seeds) and the first epoch it was above zero, per seed.
"""
import argparse
import csv

from plb_mm.grid import load_grid
from plb_mm.grid.train_scalars import train_scalar_table


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('grid')
    p.add_argument('--keys', nargs='+', required=True, help='logged scalar names')
    p.add_argument('--epochs', nargs=2, type=int, required=True, metavar=('FIRST', 'LAST'),
                   help='the window of epochs to average over (inclusive)')
    p.add_argument('--variants', nargs='+', help='only these variants (default: all)')
    p.add_argument('--seeds', type=int, nargs='+', help="these seeds instead of the grid's")
    p.add_argument('--csv', help='also write the per-run values here')
    args = p.parse_args()
    spec = load_grid(args.grid, seeds=args.seeds)
    unknown = [v for v in args.variants or [] if v not in spec.variants]
    if unknown:
        p.error(f'{args.grid} has no variant {", ".join(unknown)} ({", ".join(spec.variants)})')
    table, rows = train_scalar_table(spec, args.keys, tuple(args.epochs), args.variants)
    print(table)
    if args.csv:
        fields = ['variant', 'seed', 'last_epoch'] + [
            k for key in args.keys for k in (key, f'{key}@first')]
        with open(args.csv, 'w', newline='') as f:
            w = csv.DictWriter(f, fieldnames=fields)
            w.writeheader()
            w.writerows({k: ('' if r.get(k) is None else r[k]) for k in fields} for r in rows)
        print(f'\nwritten: {args.csv}')


if __name__ == '__main__':
    main()
