"""Evaluation metrics registered in mmdet's ``METRICS``."""
from .metrics import BenchmarkMetric, RescaledCocoMetric, VOCRecallMetric

__all__ = ['RescaledCocoMetric', 'VOCRecallMetric', 'BenchmarkMetric']
