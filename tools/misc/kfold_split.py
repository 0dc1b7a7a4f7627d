"""Split a COCO file into k folds by image: disjoint test folds that cover every image.

    python tools/misc/kfold_split.py data/mitos/annotations/mitos.json --folds 4 --seed 0 \\
        --out-dir data/mitos/annotations/folds --group-by patient
    python tools/misc/kfold_split.py data/ki67/annotations/ki67.json --folds 3 --out-dir DIR

Writes DIR/fold<k>_train.json and DIR/fold<k>_test.json for k = 1 .. folds
(train = every image not in fold k's test set; annotations go with their image),
each with info.kfold (folds, fold, seed, part, test image ids). Seeded; without
--group-by the test folds' sizes differ by at most one image. --group-by FIELD
keeps images sharing that image field (MITOS-ATYPIA-14: patient) in one fold.
See plb_mm/datasets/kfold.py and docs/sparse_data.md.
"""
import argparse
import json
import os.path as osp

from plb_mm.datasets.kfold import kfold_split_file


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('ann', help='the COCO annotation file')
    p.add_argument('--folds', type=int, default=4, help='number of folds (default 4)')
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--out-dir', help='default: beside ANN, <name>_<folds>fold_s<seed>/')
    p.add_argument('--group-by', help='image field whose images stay in one fold (e.g. patient)')
    args = p.parse_args()
    out_dir = args.out_dir or f'{osp.splitext(args.ann)[0]}_{args.folds}fold_s{args.seed}'
    try:
        paths = kfold_split_file(args.ann, out_dir, args.folds, args.seed, args.group_by)
    except (OSError, ValueError) as e:
        raise SystemExit(f'error: {e}')
    for train, test in paths:
        sizes = []
        for path in (train, test):
            with open(path) as f:
                k = json.load(f)['info']['kfold']
            sizes.append(f"{osp.basename(path)} {k['images']} images, {k['annotations']} boxes")
        print(' | '.join(sizes))
    print(f'{len(paths)} folds (seed {args.seed}) in {out_dir}')


if __name__ == '__main__':
    main()
