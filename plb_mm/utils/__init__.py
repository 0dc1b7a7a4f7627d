from .config_check import ConfigTypeError, check_config_types
from .config_edit import set_num_classes
from .dist import setup_distributed
from .film_report import MorphologyBank, film_text, write_film_report
from .wandb import add_wandb_backend, wandb_has_key

__all__ = [
    'ConfigTypeError', 'check_config_types', 'set_num_classes', 'setup_distributed',
    'add_wandb_backend', 'wandb_has_key', 'MorphologyBank', 'film_text', 'write_film_report'
]
