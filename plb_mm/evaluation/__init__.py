"""Evaluation metrics registered in mmdet's ``METRICS``."""
from .metrics import RescaledCocoMetric, VOCRecallMetric

__all__ = ['RescaledCocoMetric', 'VOCRecallMetric']
