"""Generate the synthetic blood-smear data set (COCO format).

    python tools/misc/gen_synthetic_cells.py --out data/synthetic_cells \
        --num-train 160 --num-val 40 --seed 0 [--preset bccd_like|easy|sladet] \
        [--img-size 416]

Presets (plb_mm/datasets/synthetic_cells.py): ``bccd_like`` (default, 416 px:
the box statistics of real BCCD at 416 x 416, dense and overlapping red
cells, defocus, stain/illumination variation, noise, cells cut by the border),
``easy`` (320 px: the generator's look before the presets) and ``sladet``
(512 px: white cells with 6 visible attributes; training images annotated only
inside labelled regions, docs/sladet.md). ``--img-size`` overrides the
preset's image side; cell sizes stay in pixels.

The configs generate data/synthetic_cells/ on first use with the parameters in
configs/_base_/datasets/synthetic_cells.py; use this tool for other sizes or
seeds (and point a config's data_root and `synthetic` at the result).
"""
import argparse
import os.path as osp

from plb_mm.datasets.synthetic_cells import (DEFAULT_PRESET, SYNTHETIC_PRESETS,
                                             generate_synthetic_cells)


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--out', default='data/synthetic_cells', help='output folder (must not exist)')
    p.add_argument('--num-train', type=int, default=160)
    p.add_argument('--num-val', type=int, default=40)
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--preset', default=DEFAULT_PRESET, choices=sorted(SYNTHETIC_PRESETS))
    p.add_argument('--img-size', type=int, default=None,
                   help="square image side (px; default: the preset's)")
    args = p.parse_args()
    if osp.exists(args.out):
        p.error(f'{args.out} exists; remove it or choose another --out')
    if min(args.num_train, args.num_val) < 0 or (args.img_size is not None and args.img_size < 32):
        p.error('--num-train/--num-val must be >= 0 and --img-size >= 32')
    generate_synthetic_cells(args.out, num_train=args.num_train, num_val=args.num_val,
                             seed=args.seed, img_size=args.img_size, preset=args.preset)


if __name__ == '__main__':
    main()
