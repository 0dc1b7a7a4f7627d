from .class_balanced_sampler import ClassBalancedSampler, image_groups

__all__ = ['ClassBalancedSampler', 'image_groups']
