"""Evaluate a checkpoint: python tools/test.py CONFIG CHECKPOINT [options]."""
import argparse
import os

from mmengine.config import DictAction

from plb_mm.apis import load_config, setup_test_cfg, test


def parse_args():
    parser = argparse.ArgumentParser(description='Test (evaluate) a detector with plb_mm')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='the dir to save the evaluation logs')
    parser.add_argument('--out', help='dump the raw predictions to this .pkl file')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config entries, key=value (mmengine syntax)')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none', help='job launcher')
    parser.add_argument('--trust-checkpoint', action='store_true',
                        help='allow torch.load(weights_only=False) for checkpoints '
                        'not saved by plb_mm (runs pickled code: trusted files only)')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def main():
    args = parse_args()
    cfg = load_config(args.config, args.cfg_options)
    setup_test_cfg(cfg, args.checkpoint, work_dir=args.work_dir, launcher=args.launcher,
                   out=args.out, trust_checkpoint=args.trust_checkpoint)
    test(cfg)


if __name__ == '__main__':
    main()
