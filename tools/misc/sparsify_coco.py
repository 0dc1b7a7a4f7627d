"""Sparsify a COCO file: keep a fraction r of each image's annotations, or one per image.

    python tools/misc/sparsify_coco.py data/ki67/annotations/fold1_train.json --ratio 0.1
    python tools/misc/sparsify_coco.py ANN --ratio 0.5 --seed 1 --out OUT --dropped-out DROPPED
    python tools/misc/sparsify_coco.py data/mitos/annotations/fold1_train.json --one-per-image

Per image of n annotations (iscrowd 0), r keeps min(n, max(1, floor(r * n + 1/2))):
r * n rounded half up, at least one (10 boxes at r = 0.3 keep 3). Which ones is
drawn per image from (seed, image id), so the same seed gives the same file and
the kept sets are nested across r. Writes OUT (default ANN's name with _r<r>_s<seed>
or _one_s<seed>) with info.sparsify recording r, the seed, the rule and the ids
dropped per image; --dropped-out writes the dropped annotations as a second COCO
file. Only training files are sparsified (the BDE paper tests on intact data).
See plb_mm/datasets/sparsify.py and docs/sparse_data.md.
"""
import argparse

from plb_mm.datasets.sparsify import sparse_file_name, sparsify_coco_file


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('ann', help='the COCO annotation file')
    mode = p.add_mutually_exclusive_group(required=True)
    mode.add_argument('--ratio', type=float, help='r in (0, 1]: the share of annotations kept')
    mode.add_argument('--one-per-image', action='store_true', help='keep one annotation per image')
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--out', help='the sparse file (default: beside ANN, _r<r>_s<seed>.json)')
    p.add_argument('--dropped-out', help='also write the dropped annotations to this COCO file')
    args = p.parse_args()
    out = args.out or sparse_file_name(args.ann, args.ratio, args.seed, args.one_per_image)
    try:
        kept, _ = sparsify_coco_file(args.ann, out, args.ratio, args.seed, args.one_per_image,
                                     args.dropped_out)
    except (OSError, ValueError) as e:
        raise SystemExit(f'error: {e}')
    s = kept['info']['sparsify']
    print(f"{out}: kept {s['kept']} of {s['annotations']} annotations "
          f"({s['mode']}{'' if s['ratio'] is None else ' r=' + format(s['ratio'], 'g')}, "
          f"seed {s['seed']}; effective retention {s['retention']:.3f}) on "
          f"{s['images_with_annotations']} annotated of {s['images']} images"
          + (f'; dropped -> {args.dropped_out}' if args.dropped_out else ''))


if __name__ == '__main__':
    main()
