"""Convert DeepLesion's DL_info.csv (key slices) to COCO JSON.

    python tools/dataset_converters/deeplesion2coco.py data/DeepLesion
    python tools/dataset_converters/deeplesion2coco.py ROOT --class-agnostic
    python tools/dataset_converters/deeplesion2coco.py ROOT --merge-splits

Reads ROOT/DL_info.csv; each row's key slice is ROOT/Images_png/<series>/<slice>.png.
Writes ROOT/annotations/deeplesion_{train,val,test}.json (the official
Train_Val_Test split), classes the 8 coarse lesion types. Lesions of type -1
(DeepLesion types only val and test lesions) are dropped and counted; a
split left with no image (train, with the official split) is not written:
--class-agnostic keeps every lesion as one class 'lesion'
(deeplesion_lesion_<split>.json); --merge-splits writes the typed images in
one deeplesion_all.json for tools/misc/kfold_split.py --group-by patient.

A malformed row, a box outside its image or a missing key slice stops with an
error naming the CSV and the line (--clip-boxes, --skip-missing). The slices
are 16-bit PNGs (HU + 32768): load them with LoadDeepLesionSlice, not
LoadImageFromFile (docs/benchmark_kit.md, "DeepLesion").
"""
import argparse
import os.path as osp

from plb_mm.datasets.converters import add_review_args, review_kwargs
from plb_mm.datasets.converters.deeplesion import (DEEPLESION_CLASSES, deeplesion_to_coco,
                                                   format_deeplesion_report)


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('root', help='the DeepLesion folder (DL_info.csv, Images_png/)')
    p.add_argument('--csv', help='default: ROOT/DL_info.csv')
    p.add_argument('--out-dir', help='default: ROOT/annotations')
    p.add_argument('--image-dir', default='Images_png', help='slices folder under ROOT')
    p.add_argument('--class-agnostic', action='store_true',
                   help="one class 'lesion', type -1 lesions kept")
    p.add_argument('--merge-splits', action='store_true',
                   help='one file <prefix>_all.json (images keep official_split)')
    p.add_argument('--prefix', help='output file prefix (default deeplesion / deeplesion_lesion)')
    p.add_argument('--no-image-check', action='store_true',
                   help='do not require the key slice files (convert the CSV alone)')
    p.add_argument('--skip-missing', action='store_true',
                   help='leave out images whose key slice is missing (listed) instead of '
                        'stopping')
    add_review_args(p)
    args = p.parse_args()
    out_dir = args.out_dir or osp.join(args.root, 'annotations')
    try:
        cocos = deeplesion_to_coco(
            args.root, args.csv, out_dir, args.class_agnostic, args.merge_splits, args.image_dir,
            not args.no_image_check, args.skip_missing, args.prefix, **review_kwargs(args))
    except (OSError, ValueError) as e:
        raise SystemExit(f'error: {e}')
    for split, coco in cocos.items():
        print('\n'.join(format_deeplesion_report(split, coco['info'])), flush=True)
    if not args.class_agnostic:
        print(f'classes (category id = Coarse_lesion_type): {", ".join(DEEPLESION_CLASSES)}')


if __name__ == '__main__':
    main()
