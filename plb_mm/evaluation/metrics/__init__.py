from .rescaled_coco_metric import RescaledCocoMetric

__all__ = ['RescaledCocoMetric']
