"""Train a detector: python tools/train.py CONFIG [options] (see --help)."""
import argparse

from plb_mm.apis import (add_runtime_args, load_config, parse_runtime_args, setup_train_cfg,
                         train)


def parse_args():
    parser = argparse.ArgumentParser(description='Train a detector with plb_mm')
    parser.add_argument('config', help='train config file path')
    add_runtime_args(parser)
    parser.add_argument('--amp', action='store_true', help='automatic mixed precision (CUDA)')
    parser.add_argument('--auto-scale-lr', action='store_true',
                        help='scale the lr by the actual total batch size')
    parser.add_argument('--resume', nargs='?', type=str, const='auto',
                        help='resume from this checkpoint, or (no value) from the '
                        'latest checkpoint in the work dir')
    parser.add_argument('--wandb', action='store_true',
                        help='log to Weights & Biases (offline unless a key is set)')
    parser.add_argument('--wandb-project', help='W&B project (default: plb_mm)')
    parser.add_argument('--wandb-group', help='W&B group')
    parser.add_argument('--wandb-tags', nargs='+', default=[], help='W&B tags')
    parser.add_argument('--wandb-name', help='W&B run name (default: the work dir name)')
    return parse_runtime_args(parser)


def main():
    args = parse_args()
    cfg = load_config(args.config, args.cfg_options)
    wandb = args.wandb and dict(project=args.wandb_project, group=args.wandb_group,
                                tags=args.wandb_tags, name=args.wandb_name)
    setup_train_cfg(cfg, work_dir=args.work_dir, resume=args.resume, amp=args.amp,
                    auto_scale_lr=args.auto_scale_lr, launcher=args.launcher,
                    wandb=wandb, trust_checkpoint=args.trust_checkpoint)
    train(cfg)


if __name__ == '__main__':
    main()
