from .iou_cls_aware_assigner import IoUClsAwareAssigner

__all__ = ['IoUClsAwareAssigner']
