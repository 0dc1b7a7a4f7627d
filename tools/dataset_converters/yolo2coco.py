"""Convert a YOLO-txt data set (Ultralytics / Roboflow export) to COCO JSON.

    python tools/dataset_converters/yolo2coco.py data/my_cells
    python tools/dataset_converters/yolo2coco.py ROOT --data ROOT/data.yaml --splits train val
    python tools/dataset_converters/yolo2coco.py ROOT --classes RBC WBC Platelets --splits train

Finds images/<split>/ + labels/<split>/ (Ultralytics) or <split>/images/ +
<split>/labels/ (Roboflow; its valid/ serves for val), or the folders data.yaml
names; class names come from ROOT/data.yaml (names: list or {id: name}) unless
--data or --classes. Writes <out-dir>/<prefix><split>.json (default
ROOT/annotations/<split>.json) with file_name relative to ROOT.

A bad row (wrong number of fields, not a number, class id out of range) or a
box outside its image stops the conversion with an error naming the label file
and line (--clip-boxes clips boxes outside instead). Images without a label
file are kept without boxes, label files without an image are skipped; both
are counted and listed. Degenerate boxes (a side under --min-size px) and
near-duplicates (IoU above --dup-iou with an earlier box of the class) are kept
or dropped (--drop-degenerate / --drop-duplicates), each printed with its file
and line and listed in the JSON's info.issues. Polygon rows become their box.
"""
import argparse
import os.path as osp

from plb_mm.datasets.converters import (add_review_args, find_yolo_splits, format_report,
                                       load_data_yaml, review_kwargs, yolo_to_coco)


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('root', help='the data set folder (with data.yaml, images and labels)')
    p.add_argument('--data', help='data.yaml (default: ROOT/data.yaml)')
    p.add_argument('--classes', nargs='+', help='class names in id order (instead of data.yaml)')
    p.add_argument('--splits', nargs='+',
                   help='splits to convert (default: those of train, val, test that exist)')
    p.add_argument('--out-dir', help='default: ROOT/annotations')
    p.add_argument('--prefix', default='', help='output file name prefix, e.g. "cells_"')
    add_review_args(p)
    args = p.parse_args()
    data_file = args.data or osp.join(args.root, 'data.yaml')
    if args.data or osp.isfile(data_file):
        data = load_data_yaml(data_file)
    elif args.classes:
        data = None
    else:
        p.error(f'{data_file} not found: give --data or --classes')
    splits = args.splits or find_yolo_splits(args.root, data)
    if not splits:
        p.error(f'{args.root}: no train, val or test split found (images/<split>/ + '
                f'labels/<split>/, or <split>/images/ + <split>/labels/)')
    out_dir = args.out_dir or osp.join(args.root, 'annotations')
    for split in splits:
        out = osp.join(out_dir, f'{args.prefix}{split}.json')
        coco = yolo_to_coco(args.root, split, args.classes, out, data=data,
                            **review_kwargs(args))
        print('\n'.join(format_report(out, coco['info'])), flush=True)


if __name__ == '__main__':
    main()
