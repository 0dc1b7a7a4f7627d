from .box_review import BoxReview, DuplicateBox, box_iou, review_boxes
from .conversion_report import format_report, issue_records
from .voc_xml import PRESETS, VOCFormatError, parse_voc_xml, voc_to_coco

__all__ = [
    'BoxReview', 'DuplicateBox', 'box_iou', 'review_boxes', 'format_report', 'issue_records',
    'PRESETS', 'VOCFormatError', 'parse_voc_xml', 'voc_to_coco'
]
