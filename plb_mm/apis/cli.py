import argparse
import os

from mmengine.config import DictAction


def add_runtime_args(parser: argparse.ArgumentParser) -> None:
    """The options tools/train.py and tools/test.py share."""
    parser.add_argument('--work-dir', help='where the run writes logs, checkpoints, metrics')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config entries, key=value (mmengine syntax)')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none', help='job launcher')
    parser.add_argument('--trust-checkpoint', action='store_true',
                        help='allow torch.load(weights_only=False) for checkpoints '
                        'not saved by plb_mm (runs pickled code: trusted files only)')
    # torch.distributed.launch passes --local-rank (torchrun sets LOCAL_RANK)
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)


def parse_runtime_args(parser: argparse.ArgumentParser) -> argparse.Namespace:
    args = parser.parse_args()
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args
