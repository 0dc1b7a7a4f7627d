from .wandb_vis_backend import FailSafeWandbVisBackend

__all__ = ['FailSafeWandbVisBackend']
