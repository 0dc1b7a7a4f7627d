"""Evaluate a checkpoint: python tools/test.py CONFIG CHECKPOINT [options]."""
import argparse

from plb_mm.apis import add_runtime_args, load_config, parse_runtime_args, setup_test_cfg, test


def parse_args():
    parser = argparse.ArgumentParser(description='Test (evaluate) a detector with plb_mm')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    add_runtime_args(parser)
    parser.add_argument('--out', help='dump the raw predictions to this .pkl file')
    return parse_runtime_args(parser)


def main():
    args = parse_args()
    cfg = load_config(args.config, args.cfg_options)
    setup_test_cfg(cfg, args.checkpoint, work_dir=args.work_dir, launcher=args.launcher,
                   out=args.out, trust_checkpoint=args.trust_checkpoint)
    test(cfg)


if __name__ == '__main__':
    main()
