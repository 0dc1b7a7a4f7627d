"""Evaluation metrics registered in mmdet's ``METRICS``."""
from .metrics import AttributeF1Metric, BenchmarkMetric, RescaledCocoMetric, VOCRecallMetric

__all__ = ['RescaledCocoMetric', 'VOCRecallMetric', 'BenchmarkMetric', 'AttributeF1Metric']
