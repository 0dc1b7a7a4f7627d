from .runner import (build_runner, format_metrics, load_config, setup_test_cfg,
                     setup_train_cfg, test, train)

__all__ = [
    'build_runner', 'format_metrics', 'load_config', 'setup_test_cfg',
    'setup_train_cfg', 'test', 'train'
]
