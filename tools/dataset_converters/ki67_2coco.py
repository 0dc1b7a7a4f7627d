"""Convert Ki-67 key points (one x,y[,class] file per image) to COCO boxes.

    python tools/dataset_converters/ki67_2coco.py data/ki67
    python tools/dataset_converters/ki67_2coco.py ROOT --classes positive negative \\
        --images imgs --labels points --out ROOT/annotations/ki67.json --box-size 32

Reads ROOT/images/<name>.<ext> and ROOT/labels/<name>.csv (or .txt): one cell
per row, x,y (the only class, default tumor) or x,y,class (a name of
--classes); comma- or whitespace-separated, optional x,y[,class] header. Each
point becomes a --box-size box centred on it, clipped to the image (default
32 px, the BDE paper's). Writes --out (default ROOT/annotations/ki67.json),
file_name relative to ROOT.

A malformed row, an unknown class, or a point so far outside its image that its
box is empty stops with an error naming the file and the line. Images without a
point file are kept without boxes, point files without an image skipped: both
are counted and listed, as are points outside their image and near-duplicate
points (--drop-duplicates drops them). See docs/sparse_data.md.
"""
import argparse
import os.path as osp

from plb_mm.datasets.converters import (KI67_CLASSES, add_point_args, format_point_report,
                                       ki67_to_coco, point_kwargs)


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('root', help='the data set folder')
    p.add_argument('--classes', nargs='+', default=list(KI67_CLASSES),
                   help='class names (default: tumor)')
    p.add_argument('--images', default='images', help='image folder under ROOT')
    p.add_argument('--labels', default='labels', help='point-file folder under ROOT')
    p.add_argument('--out', help='default: ROOT/annotations/ki67.json')
    add_point_args(p)
    args = p.parse_args()
    out = args.out or osp.join(args.root, 'annotations', 'ki67.json')
    try:
        coco = ki67_to_coco(args.root, args.classes, out, args.images, args.labels,
                            **point_kwargs(args))
    except (OSError, ValueError) as e:
        raise SystemExit(f'error: {e}')
    print('\n'.join(format_point_report(out, coco['info'])), flush=True)


if __name__ == '__main__':
    main()
