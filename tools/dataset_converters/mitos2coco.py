"""Convert MITOS-ATYPIA-14 mitosis centroids (CSV per frame) to COCO boxes.

    python tools/dataset_converters/mitos2coco.py data/mitos_atypia_14
    python tools/dataset_converters/mitos2coco.py ROOT --out ROOT/annotations/mitos.json \\
        --box-size 32 --not-mitosis --min-confidence 0.5

Finds every <patient>/frames/x40/ folder under ROOT and reads each frame's
<patient>/mitosis/<frame>_mitosis.csv (rows x,y,confidence); each centroid
becomes a --box-size box centred on it, clipped to the frame (default 32 px,
the BDE paper's). _not_mitosis.csv rows (hard negatives) are skipped unless
--not-mitosis (a second class). Writes --out (default
ROOT/annotations/mitos_atypia14.json), file_name relative to ROOT, image
field 'patient' (for kfold_split.py --group-by patient).

A malformed row, or a point so far outside its frame that its box is empty,
stops with an error naming the CSV and the line. Frames without a
_mitosis.csv are kept without boxes, CSVs without a frame skipped: both are
counted and listed, as are points outside their frame and near-duplicate
points (--drop-duplicates drops them). See docs/sparse_data.md.
"""
import argparse
import os.path as osp

from plb_mm.datasets.converters import (add_point_args, format_point_report, mitos_to_coco,
                                       point_kwargs)


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('root', help='folder with the patients\' folders (<patient>/frames/x40, '
                                '<patient>/mitosis)')
    p.add_argument('--out', help='default: ROOT/annotations/mitos_atypia14.json')
    p.add_argument('--not-mitosis', action='store_true',
                   help='convert _not_mitosis.csv rows as a second class not_mitosis')
    p.add_argument('--min-confidence', type=float, default=0.,
                   help='leave out rows with a lower confidence (default 0: all)')
    p.add_argument('--magnification', default='x40', help='frames folder (default x40)')
    add_point_args(p)
    args = p.parse_args()
    out = args.out or osp.join(args.root, 'annotations', 'mitos_atypia14.json')
    try:
        coco = mitos_to_coco(args.root, out, args.not_mitosis, args.min_confidence,
                             args.magnification, **point_kwargs(args))
    except (OSError, ValueError) as e:
        raise SystemExit(f'error: {e}')
    info = coco['info']
    lines = format_point_report(out, info)
    s = info['summary']
    if s['not_mitosis_skipped']:
        lines.append(f"  {s['not_mitosis_skipped']} not-mitosis point(s) not converted "
                     f"(--not-mitosis converts them)")
    if s['below_min_confidence']:
        lines.append(f"  {s['below_min_confidence']} row(s) below --min-confidence "
                     f"{args.min_confidence:g} left out")
    if s['not_mitosis_missing']:
        lines.append(f"  {s['not_mitosis_missing']} frame(s) without a _not_mitosis.csv: "
                     + ', '.join(info['issues']['not_mitosis_missing'][:5]))
    print('\n'.join(lines), flush=True)


if __name__ == '__main__':
    main()
