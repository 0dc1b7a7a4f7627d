"""Evaluation metrics registered in mmdet's ``METRICS``."""
from .metrics import RescaledCocoMetric

__all__ = ['RescaledCocoMetric']
