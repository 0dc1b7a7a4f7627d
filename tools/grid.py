"""Run a grid of configs x seeds and collect it into one table and plot.

    python tools/grid.py run GRID [--launcher local|dist|slurm] [--gpus N]
                                  [--partition P] [--submit] [--wandb] [--dry-run]
    python tools/grid.py collect GRID [--prior RESULTS_CSV]
    python tools/grid.py status GRID
    (each takes --seeds S [S ...] to use other seeds than the grid file's
     and, for a k-fold grid, --folds K [K ...] to use only some of its folds;
     run takes --variants V [V ...] to run only some variants)

`run` trains every (variant, seed) in turn into work_dirs/<grid>/<variant>/seed<k>
(a k-fold grid: every (variant, fold, seed) into <variant>/fold<k>/seed<s>;
skipping finished runs, resuming interrupted ones, reporting failed ones and
going on), then collects. Ctrl-C / SIGTERM stop the running training first
(it is resumed next time); a work dir in which another training runs is
skipped. `collect` writes results.md, results.csv and
results.png into work_dirs/<grid>/ and prints the table (a k-fold grid: per
metric one column per fold, then the average over folds). See
plb_mm/grid/spec.py for the grid file format.
"""
import argparse
import sys

from plb_mm.grid import GridInterrupted, Launch, load_grid, run_grid, run_state, write_results


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    sub = p.add_subparsers(dest='cmd', required=True)
    r = sub.add_parser('run', help='run the grid, then collect')
    r.add_argument('grid')
    r.add_argument('--launcher', choices=['local', 'dist', 'slurm'], default='local')
    r.add_argument('--gpus', type=int, default=1, help='processes/GPUs per run (dist, slurm)')
    r.add_argument('--partition', help='Slurm partition')
    r.add_argument('--gpus-per-node', type=int, default=8)
    r.add_argument('--cpus-per-task', type=int, default=5)
    r.add_argument('--submit', action='store_true', help='slurm: call sbatch (default: print)')
    r.add_argument('--wandb', action='store_true', help='log every run to W&B (group = grid)')
    r.add_argument('--dry-run', action='store_true', help='print the plan only')
    r.add_argument('--quiet', action='store_true', help="do not echo the runs' progress")
    r.add_argument('--variants', nargs='+', help='run only these variants (e.g. the baseline '
                   'and one method first); collect still shows all')
    for name in ('collect', 'status'):
        sub.add_parser(name).add_argument('grid')
    sub.choices['collect'].add_argument(
        '--prior', help='a results.csv an earlier collect of this grid wrote (e.g. committed '
        'under docs/): its per-seed values stand in for runs that have no work dir')
    for sp in sub.choices.values():
        sp.add_argument('--seeds', type=int, nargs='+',
                        help="these seeds instead of the grid file's")
        sp.add_argument('--folds', type=int, nargs='+',
                        help="k-fold grids: only these of the grid file's folds")
    args = p.parse_args()
    spec = load_grid(args.grid, seeds=args.seeds, folds=args.folds)
    if args.cmd == 'status':
        for run in spec.runs():
            print(f'{run.label:40s} {run_state(run):12s} {run.work_dir}')
        return
    if args.cmd == 'run':
        if args.launcher == 'slurm' and not args.partition:
            p.error('--launcher slurm needs --partition')
        launch = Launch(mode=args.launcher, gpus=args.gpus, partition=args.partition,
                        gpus_per_node=args.gpus_per_node, cpus_per_task=args.cpus_per_task,
                        submit=args.submit, python=sys.executable, wandb=args.wandb)
        try:
            run_grid(spec, launch, dry_run=args.dry_run, echo=not args.quiet,
                     only=args.variants)
        except GridInterrupted as e:
            sys.exit(128 + e.signum)
        if args.dry_run or args.launcher == 'slurm':
            return
    out = write_results(spec, prior=getattr(args, 'prior', None))
    print(f'\n{out["table"]}\n\nwritten: {out["md"]}, {out["csv"]}, {out["png"]}')


if __name__ == '__main__':
    main()
