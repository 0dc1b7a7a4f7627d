from .cli import add_runtime_args, parse_runtime_args
from .runner import (build_runner, format_metrics, load_config, setup_test_cfg,
                     setup_train_cfg, test, train)

__all__ = [
    'add_runtime_args', 'parse_runtime_args',
    'build_runner', 'format_metrics', 'load_config', 'setup_test_cfg',
    'setup_train_cfg', 'test', 'train'
]
