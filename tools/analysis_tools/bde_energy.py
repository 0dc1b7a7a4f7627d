"""What BDE sees on sparse annotations: the density energy of the RoIs that
lie on unlabelled cells (annotations dropped by sparsify) against those on
background, and the share of the RoI classification loss each group carries
without and with BDE.

    python tools/analysis_tools/bde_energy.py CONFIG [CHECKPOINT] [--images 8]
        [--batch-size 2] [--iou-thr 0.5] [--out FILE.md]

CONFIG trains on a sparse set (train_dataloader.dataset.sparsify); the
images are its training images (no flips), the groups come from the full
annotation file before sparsifying. BDE works when "unlabelled cell" RoIs
get a lower energy than "background" ones.
"""
import argparse

from plb_mm.utils.bde_energy import bde_energy, format_bde_energy


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('config')
    p.add_argument('checkpoint', nargs='?')
    p.add_argument('--images', type=int, default=8)
    p.add_argument('--batch-size', type=int, default=2)
    p.add_argument('--iou-thr', type=float, default=0.5)
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--out', help='also write the table to this markdown file')
    args = p.parse_args()
    try:
        stats = bde_energy(args.config, args.checkpoint, args.images, args.batch_size,
                           args.iou_thr, args.seed)
    except ValueError as e:
        raise SystemExit(str(e))
    head = (f'{args.config}\n{args.checkpoint or "random init"}: {stats["images"]} training '
            f'images, sparsify {stats["sparsify"]}; RoIs of the RoI classification term\n')
    table = format_bde_energy(stats)
    print(head + '\n' + table)
    if args.out:
        with open(args.out, 'w') as f:
            f.write(head + '\n' + table + '\n')


if __name__ == '__main__':
    main()
