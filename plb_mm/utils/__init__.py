from .config_check import ConfigTypeError, check_config_types
from .dist import setup_distributed
from .wandb import add_wandb_backend, wandb_has_key

__all__ = [
    'ConfigTypeError', 'check_config_types', 'setup_distributed',
    'add_wandb_backend', 'wandb_has_key'
]
