"""Check COCO-format data sets (annotation files and image files) without training.

    python tools/misc/check_dataset.py data/BCCD/annotations/bccd_train.json --img-dir data/BCCD
    python tools/misc/check_dataset.py CONFIG [--splits train val] [--decode]

Runs the checks of CheckedCocoDataset (malformed or duplicate records, boxes
outside their image, unknown categories, missing classes) and the image check
(missing, truncated or unreadable files, sizes that differ from the records),
and prints every problem found, not only the first. Exit status 1 if any.
"""
import argparse
import sys

from plb_mm.datasets.dataset_check import check_coco_dataset, check_config_datasets


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('target', help='a COCO annotation file (.json) or a config (.py)')
    p.add_argument('--img-dir', help='with an annotation file: the folder its '
                   'file_name entries are relative to')
    p.add_argument('--classes', nargs='+', help='with an annotation file: class names '
                   'the file must define')
    p.add_argument('--test-mode', action='store_true', help="with an annotation file: "
                   "test data (a file without 'annotations' is fine)")
    p.add_argument('--splits', nargs='+', default=['train', 'val', 'test'],
                   help='with a config: the dataloaders to check')
    p.add_argument('--decode', action='store_true',
                   help='decode every pixel, not only headers and file ends (slower)')
    p.add_argument('--no-cache', action='store_true', help='open every image file again')
    args = p.parse_args(argv)
    level = 'decode' if args.decode else 'header'
    if args.target.endswith('.py'):
        reports = check_config_datasets(args.target, args.splits, level=level,
                                        use_cache=not args.no_cache)
    else:
        if args.img_dir is None:
            p.error('--img-dir is needed with an annotation file')
        reports = [check_coco_dataset(args.target, args.img_dir, classes=args.classes,
                                      level=level, require_annotations=not args.test_mode,
                                      use_cache=not args.no_cache)]
    for r in reports:
        print(r.format())
    bad = sum(len(r.problems) for r in reports)
    if bad:
        print(f'{bad} problem(s) in {sum(not r.ok for r in reports)} of {len(reports)} '
              f'data set(s)', file=sys.stderr)
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
