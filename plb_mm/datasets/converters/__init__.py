from .box_review import BoxReview, DuplicateBox, box_iou, review_boxes
from .conversion_report import (add_review_args, finish_coco, format_report, issue_records,
                                review_kwargs)
from .voc_xml import PRESETS, VOCFormatError, parse_voc_xml, voc_to_coco
from .yolo_txt import (IMG_EXTS, YoloData, YoloFormatError, YoloRow, find_yolo_split,
                       find_yolo_splits, load_data_yaml, parse_yolo_row, read_yolo_labels,
                       yolo_to_coco)

__all__ = [
    'BoxReview', 'DuplicateBox', 'box_iou', 'review_boxes', 'format_report', 'issue_records',
    'add_review_args', 'finish_coco', 'review_kwargs',
    'PRESETS', 'VOCFormatError', 'parse_voc_xml', 'voc_to_coco', 'IMG_EXTS', 'YoloData',
    'YoloFormatError', 'YoloRow', 'find_yolo_split', 'find_yolo_splits', 'load_data_yaml',
    'parse_yolo_row', 'read_yolo_labels', 'yolo_to_coco'
]
from .ki67_points import KI67_CLASSES, ki67_to_coco, read_ki67_points  # noqa: E402
from .leukemia_attri import (LEUKEMIA_ATTRIBUTES, LEUKEMIA_ATTRIBUTES_RAW,  # noqa: E402
                             LEUKEMIA_CLASSES, leukemia_to_coco, parse_leukemia_attributes,
                             parse_region, read_region_file)
from .mitos_atypia import (MITOS_CLASSES, find_mitos_frames, mitos_to_coco,  # noqa: E402
                           read_mitos_csv)
from .point_boxes import (PointFormatError, PointImage, PointObject, PointRow,  # noqa: E402
                          add_point_args, format_point_report, point_kwargs, point_to_box,
                          points_to_coco, read_point_rows)

__all__ += [
    'KI67_CLASSES', 'ki67_to_coco', 'read_ki67_points', 'LEUKEMIA_ATTRIBUTES',
    'LEUKEMIA_ATTRIBUTES_RAW', 'LEUKEMIA_CLASSES', 'leukemia_to_coco',
    'parse_leukemia_attributes', 'parse_region', 'read_region_file', 'MITOS_CLASSES',
    'find_mitos_frames', 'mitos_to_coco', 'read_mitos_csv', 'PointFormatError', 'PointImage',
    'PointObject', 'PointRow', 'add_point_args', 'format_point_report', 'point_kwargs',
    'point_to_box', 'points_to_coco', 'read_point_rows'
]
