from .attribute_f1_metric import AttributeF1Metric
from .benchmark_metric import BenchmarkMetric
from .rescaled_coco_metric import RescaledCocoMetric
from .voc_recall_metric import VOCRecallMetric

__all__ = ['RescaledCocoMetric', 'VOCRecallMetric', 'BenchmarkMetric', 'AttributeF1Metric']
