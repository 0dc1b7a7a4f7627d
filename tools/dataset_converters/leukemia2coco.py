"""Convert LeukemiaAttri / Sparse-LeukemiaAttri (YOLO rows with a region and 7
attributes) to COCO JSON with labelled regions and cell attributes.

    python tools/dataset_converters/leukemia2coco.py data/sparse_leukemia_attri \
        --splits train
    python tools/dataset_converters/leukemia2coco.py data/sparse_leukemia_attri \
        --splits test --regions none      # the fully annotated test split

Reads images/<split>/ + labels/<split>/ (and data.yaml's names; without one,
the authors' 14 WBC types). Rows are `cls cx cy w h rx1 ry1 rx2 ry2 a1..a7`
(16 fields, the authors' export; the region in pixels, x1 y1 x2 y2) or
`cls cx cy w h a1..a7` (12 fields; regions then come from optional
regions/<split>/<stem>.txt files, normalised `x1 y1 x2 y2` rows). Writes
<out-dir>/<prefix><split>.json (default ROOT/annotations/<split>.json) with
`labeled_regions` per image and `attributes` (the 6 the attribute head
predicts: NC NS N C CB CV) and `attributes_raw` (all 7, cell size first) per
annotation; -1 and 2 mean unknown (-1 in the output). See
plb_mm/datasets/converters/leukemia_attri.py and docs/sladet.md.

A bad row, an unknown class, an attribute other than 0, 1 or unknown, a
malformed region or one outside its image, or a box centre outside its row's
region stops the conversion with an error naming the file and line.
"""
import argparse
import os.path as osp

from plb_mm.datasets.converters import (add_review_args, find_yolo_splits, format_report,
                                       leukemia_to_coco, load_data_yaml, review_kwargs)


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('root', help='the data set folder (images/, labels/, data.yaml)')
    p.add_argument('--data', help='data.yaml (default: ROOT/data.yaml if it exists)')
    p.add_argument('--classes', nargs='+', help='class names in id order (instead of data.yaml)')
    p.add_argument('--splits', nargs='+',
                   help='splits to convert (default: those of train, val, test that exist)')
    p.add_argument('--out-dir', help='default: ROOT/annotations')
    p.add_argument('--prefix', default='', help='output file name prefix')
    p.add_argument('--layout', default='auto', choices=('auto', 'regions', 'attributes'),
                   help='16 fields with a region (regions) or 12 without (attributes)')
    p.add_argument('--regions', default='auto', choices=('auto', 'rows', 'files', 'none'),
                   help='where the labelled regions come from (auto: rows for 16 fields, '
                        'region files for 12; none: the whole image is labelled)')
    p.add_argument('--region-units', default='pixels', choices=('pixels', 'normalized'))
    p.add_argument('--region-order', default='xyxy', choices=('xyxy', 'xxyy'),
                   help='region columns x1 y1 x2 y2 (the authors\' code) or x1 x2 y1 y2')
    p.add_argument('--unknown', nargs='+', type=int, default=[-1, 2],
                   help='attribute values meaning unknown (default -1 2)')
    p.add_argument('--no-membership-check', action='store_true',
                   help='accept rows whose box centre lies outside their region')
    add_review_args(p)
    args = p.parse_args()
    data_file = args.data or osp.join(args.root, 'data.yaml')
    data = load_data_yaml(data_file) if args.data or osp.isfile(data_file) else None
    splits = args.splits or find_yolo_splits(args.root, data)
    if not splits:
        p.error(f'{args.root}: no train, val or test split found (images/<split>/ + '
                f'labels/<split>/)')
    out_dir = args.out_dir or osp.join(args.root, 'annotations')
    for split in splits:
        out = osp.join(out_dir, f'{args.prefix}{split}.json')
        coco = leukemia_to_coco(
            args.root, split, args.classes, out, data=data, layout=args.layout,
            regions=args.regions, region_units=args.region_units,
            region_order=args.region_order, unknown_values=args.unknown,
            check_membership=not args.no_membership_check, **review_kwargs(args))
        s, o = coco['info']['summary'], coco['info']['options']
        print('\n'.join(format_report(out, coco['info'])))
        print(f"  layout {o['layout']}, regions from {o['regions']}: {s['regions']} region(s); "
              f"{s['no_region']} image(s) with none known, {s['whole']} labelled whole",
              flush=True)


if __name__ == '__main__':
    main()
