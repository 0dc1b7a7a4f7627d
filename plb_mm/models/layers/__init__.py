from .cl_balanced_nms import cl_balanced_nms

__all__ = ['cl_balanced_nms']
