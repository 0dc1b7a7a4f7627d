"""Which object sizes a loss term's signal comes from, with and without its
per-box weights (PLB, DC, ...).

    python tools/analysis_tools/loss_share.py CONFIG [CHECKPOINT] [--batches 2]
        [--batch-size 4] [--add rpn_head.cls=PLBWeighter ...] [--out FILE.md]

Runs the model of CONFIG (at CHECKPOINT, or from its random init) on batches
of the config's own training set in training mode and prints, per weightable
loss term and per group of entries (positives by the COCO size band of their
ground truth, in the evaluation frame; negatives), the share of the term's
loss and of its gradient (all parameters; backbone + neck) without weights and
with the config's weighters (plus those given with --add). No update is made.
"""
import argparse

from plb_mm.utils.loss_share import format_loss_share, loss_share


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('config')
    p.add_argument('checkpoint', nargs='?')
    p.add_argument('--batches', type=int, default=2)
    p.add_argument('--batch-size', type=int, default=4)
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--add', nargs='+', default=[], metavar='HEAD.TERM=WEIGHTER',
                   help='add a weighter (registered type, default arguments) to a term, '
                   'e.g. rpn_head.cls=PLBWeighter roi_head.bbox_head.reg=PLBWeighter')
    p.add_argument('--out', help='also write the table to this markdown file')
    args = p.parse_args()
    add = {}
    for item in args.add:
        term, sep, typ = item.partition('=')
        if not sep or not typ:
            p.error(f'--add {item!r}: expected HEAD.TERM=WEIGHTER')
        add.setdefault(term, []).append(dict(type=typ))
    try:
        stats = loss_share(args.config, args.checkpoint, args.batches, args.batch_size, add,
                           seed=args.seed)
    except ValueError as e:
        raise SystemExit(str(e))
    frame = (f'{stats["eval_size"][0]}x{stats["eval_size"][1]} frame'
             if stats['eval_size'] else 'original images')
    head = (f'{args.config}\n{args.checkpoint or "random init"}: {stats["images"]} training '
            f'images; size bands in the {frame}; shares in %\n')
    table = format_loss_share(stats)
    print(head + '\n' + table)
    if args.out:
        with open(args.out, 'w') as f:
            f.write(head + '\n' + table + '\n')


if __name__ == '__main__':
    main()
