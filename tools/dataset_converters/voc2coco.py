"""Convert a Pascal VOC-layout data set (BCCD, VOC 2007) to COCO JSON.

    python tools/dataset_converters/voc2coco.py data/BCCD --preset bccd \\
        --drop-degenerate --drop-duplicates
    python tools/dataset_converters/voc2coco.py data/VOCdevkit/VOC2007 --preset voc07
    python tools/dataset_converters/voc2coco.py ROOT --classes a b c --splits train test

Writes ROOT/annotations/<prefix>_<split>.json. A malformed XML file, an unknown
class, an inverted box or a box outside its image stops the conversion with an
error naming the file and the object (--clip-boxes clips boxes outside instead).
Degenerate boxes (a side under --min-size px) and near-duplicates (IoU above
--dup-iou with an earlier box of the same class) are kept, or dropped with
--drop-degenerate / --drop-duplicates; either way each one is printed with its
file and object index and listed in the JSON's info.issues.
"""
import argparse
import os.path as osp

from plb_mm.datasets.converters import (PRESETS, add_review_args, format_report, review_kwargs,
                                       voc_to_coco)


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('root', help='folder with Annotations/, ImageSets/Main/, JPEGImages/')
    p.add_argument('--preset', choices=sorted(PRESETS), help='classes, splits and file prefix')
    p.add_argument('--classes', nargs='+', help='class names (instead of a preset)')
    p.add_argument('--splits', nargs='+', help='splits to convert (ImageSets/Main/<split>.txt)')
    p.add_argument('--prefix', help='output file prefix (default: the preset name or "voc")')
    p.add_argument('--out-dir', help='default: ROOT/annotations')
    add_review_args(p)
    args = p.parse_args()
    preset = PRESETS.get(args.preset, {})
    classes = args.classes or preset.get('classes')
    splits = args.splits or preset.get('splits')
    if not classes or not splits:
        p.error('give --preset, or --classes and --splits')
    prefix = args.prefix or preset.get('prefix', 'voc')
    out_dir = args.out_dir or osp.join(args.root, 'annotations')
    for split in splits:
        out = osp.join(out_dir, f'{prefix}_{split}.json')
        coco = voc_to_coco(args.root, split, classes, out, **review_kwargs(args))
        print('\n'.join(format_report(out, coco['info'])), flush=True)


if __name__ == '__main__':
    main()
