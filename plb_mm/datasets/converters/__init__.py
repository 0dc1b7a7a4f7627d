from .box_review import BoxReview, DuplicateBox, box_iou, review_boxes
from .conversion_report import format_report, issue_records
from .voc_xml import PRESETS, VOCFormatError, parse_voc_xml, voc_to_coco
from .yolo_txt import (IMG_EXTS, YoloData, YoloFormatError, YoloRow, find_yolo_split,
                       find_yolo_splits, load_data_yaml, parse_yolo_row, read_yolo_labels,
                       yolo_to_coco)

__all__ = [
    'BoxReview', 'DuplicateBox', 'box_iou', 'review_boxes', 'format_report', 'issue_records',
    'PRESETS', 'VOCFormatError', 'parse_voc_xml', 'voc_to_coco', 'IMG_EXTS', 'YoloData',
    'YoloFormatError', 'YoloRow', 'find_yolo_split', 'find_yolo_splits', 'load_data_yaml',
    'parse_yolo_row', 'read_yolo_labels', 'yolo_to_coco'
]
