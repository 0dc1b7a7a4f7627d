"""What an assigner that uses class scores (IoUClsAwareAssigner) makes positive,
compared with the same head's assignment without scores (= MaxIoUAssigner).

    python tools/analysis_tools/assign_stats.py CONFIG CHECKPOINT [--images 16] [--batch-size 4]
        [--seed 0] [--data-root data/synthetic_cells/]

Runs the trained dense head of CONFIG on images of its own training set
(through its training pipeline; or, with --data-root, on the synthetic smears
there at the config's training scale), assigns anchors with and without the
head's detached probabilities and prints, per ground-truth size band (COCO
small / medium / large, in the config's evaluation frame), the positives per
image and the IoU of the anchors that the scores made positive.
"""
import argparse

from plb_mm.utils.assign_stats import assign_stats, format_assign_stats


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('config')
    p.add_argument('checkpoint')
    p.add_argument('--images', type=int, default=16)
    p.add_argument('--batch-size', type=int, default=4)
    p.add_argument('--seed', type=int, default=0, help='which training images (random draw)')
    p.add_argument('--data-root', default=None,
                   help='the synthetic smears at this root instead of the config\'s training set')
    args = p.parse_args()
    try:
        stats = assign_stats(args.config, args.checkpoint, args.images, args.batch_size,
                             args.data_root, args.seed)
    except ValueError as e:
        raise SystemExit(str(e))
    print(f'{args.config}\n{args.checkpoint}: {stats["images"]} training images at '
          f'{stats["scale"][0]}x{stats["scale"][1]}\n')
    print(format_assign_stats(stats))


if __name__ == '__main__':
    main()
