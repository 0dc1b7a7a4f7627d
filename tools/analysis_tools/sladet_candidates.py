"""What SLA-Det's pseudo-label and triplet terms see at a checkpoint: how
confident the model is on labelled cells, on the hidden cells outside the
regions, and how many outside candidates pass each threshold (and how many
are true cells).

    python tools/analysis_tools/sladet_candidates.py CONFIG [CKPT ...]
        --hidden data/synthetic_sladet/annotations/train_full.json
        [--batches 4] [--batch-size 4] [--out FILE.md]

Without a checkpoint the model is measured at its random init.
"""
import argparse

from plb_mm.utils.sladet_candidates import candidate_stats, format_candidate_stats


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('config')
    p.add_argument('checkpoints', nargs='*')
    p.add_argument('--hidden', required=True,
                   help='COCO file with every cell of the training images')
    p.add_argument('--batches', type=int, default=4)
    p.add_argument('--batch-size', type=int, default=4)
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--thresholds', type=float, nargs='+',
                   default=[0.3, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95])
    p.add_argument('--out', help='also write the tables to this markdown file')
    args = p.parse_args()
    try:
        stats = candidate_stats(args.config, args.checkpoints or [None], args.hidden,
                                args.batches, args.batch_size, args.seed, args.thresholds)
    except (ValueError, FileNotFoundError) as e:
        raise SystemExit(str(e))
    text = (f'{args.config}: {stats["images"]} training images (seed {args.seed}), '
            f'training mode, no update\n\n' + format_candidate_stats(stats))
    print(text)
    if args.out:
        with open(args.out, 'w') as f:
            f.write(text + '\n')


if __name__ == '__main__':
    main()
