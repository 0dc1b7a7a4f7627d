"""Box statistics of COCO annotation files side by side: boxes per image, per
class sqrt(area) (median, p10-p90), boxes overlapping another (IoU > 0.1),
boxes touching the border, COCO size bands.

    python tools/analysis_tools/box_stats.py ANN [ANN ...] [--resize 416 416] \\
        [--preset bccd_like [--num 200] [--seed 0]]

``--resize W H`` measures the files' boxes as if every image were resized to
W x H (BCCD's 640 x 480 images trained at 416 x 416). ``--preset`` adds a
column for a synthetic set of that preset, generated into a temporary folder.
Example, real BCCD beside the default synthetic preset and the old look:

    python tools/analysis_tools/box_stats.py data/BCCD/annotations/bccd_trainval.json \\
        --resize 416 416 --preset bccd_like easy
"""
import argparse
import json
import os.path as osp
import tempfile

from plb_mm.datasets.coco_format import load_coco_json
from plb_mm.datasets.synthetic_cells import SYNTHETIC_PRESETS, generate_synthetic_cells
from plb_mm.datasets.synthetic_stats import box_statistics, format_statistics


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('ann', nargs='*', help='COCO annotation files')
    p.add_argument('--resize', type=int, nargs=2, metavar=('W', 'H'),
                   help='measure the files as if their images were resized to W x H')
    p.add_argument('--preset', nargs='+', default=[], choices=sorted(SYNTHETIC_PRESETS),
                   help='add a column for a generated synthetic set of each preset')
    p.add_argument('--num', type=int, default=200, help='images per synthetic set')
    p.add_argument('--seed', type=int, default=0)
    args = p.parse_args()
    if not args.ann and not args.preset:
        p.error('give annotation files, --preset, or both')
    columns = []
    for ann in args.ann:
        try:
            coco = load_coco_json(ann)
        except (OSError, ValueError) as e:
            raise SystemExit(str(e))
        title = osp.basename(ann) + (f' @{args.resize[0]}x{args.resize[1]}' if args.resize else '')
        columns.append((title, box_statistics(coco, resize=args.resize)))
    with tempfile.TemporaryDirectory() as tmp:
        for preset in args.preset:
            root = generate_synthetic_cells(osp.join(tmp, preset), num_train=args.num, num_val=0,
                                            seed=args.seed, preset=preset, verbose=False)
            with open(osp.join(root, 'annotations', 'train.json')) as f:
                coco = json.load(f)
            columns.append((f'{preset} ({args.num} images, seed {args.seed})',
                            box_statistics(coco)))
    print(format_statistics(columns))


if __name__ == '__main__':
    main()
