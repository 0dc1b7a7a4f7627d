"""Evaluation metrics registered in mmdet's ``METRICS``. None are needed yet:
the COCO and VOC metrics of the shipped configs are mmdet's own (``CocoMetric``,
``VOCMetric``)."""
__all__ = []
