from .checked_coco import CheckedCocoDataset, ImageFileError
from .coco_format import CocoFormatError, find_coco_problems, load_coco_json
from .converters import (PRESETS, VOCFormatError, YoloFormatError, YoloRow, find_yolo_splits,
                         format_report, load_data_yaml, parse_voc_xml, parse_yolo_row,
                         read_yolo_labels, review_boxes, voc_to_coco, yolo_to_coco)
from .dataset_check import DatasetReport, check_coco_dataset, check_config_datasets
from .image_check import ImageRecord, check_image_files
from .sparsify import ensure_sparse_annotations
from .synthetic_cells import (SYNTHETIC_PRESETS, SyntheticCellsDataset, ensure_synthetic_cells,
                              generate_synthetic_cells, preset_params)
from .synthetic_stats import box_statistics

__all__ = [
    'CheckedCocoDataset', 'CocoFormatError', 'ImageFileError', 'find_coco_problems',
    'load_coco_json', 'DatasetReport', 'check_coco_dataset', 'check_config_datasets',
    'ImageRecord', 'check_image_files', 'SyntheticCellsDataset', 'ensure_synthetic_cells',
    'ensure_sparse_annotations',
    'generate_synthetic_cells', 'SYNTHETIC_PRESETS', 'preset_params', 'box_statistics',
    'PRESETS', 'VOCFormatError', 'parse_voc_xml', 'voc_to_coco',
    'YoloFormatError', 'YoloRow', 'find_yolo_splits', 'format_report', 'load_data_yaml',
    'parse_yolo_row', 'read_yolo_labels', 'review_boxes', 'yolo_to_coco'
]

from .transforms import (LoadSLADetAnnotations, MoveRegionsAsBoxes,  # noqa: E402
                         PackSLADetInputs, RegionFilterAnnotations, RegionMosaic,
                         RegionRandomAffine, RegionRandomCrop, RegionRandomFlip, RegionResize)

__all__ += [
    'LoadSLADetAnnotations', 'PackSLADetInputs', 'MoveRegionsAsBoxes', 'RegionFilterAnnotations',
    'RegionMosaic', 'RegionRandomAffine', 'RegionRandomCrop', 'RegionRandomFlip', 'RegionResize'
]

from .samplers import ClassBalancedSampler, image_groups  # noqa: E402

__all__ += ['ClassBalancedSampler', 'image_groups']

from .converters.deeplesion import (DEEPLESION_CLASSES, DeepLesionFormatError,  # noqa: E402
                                    deeplesion_to_coco, read_dl_info, window_slice)
from .transforms import LoadDeepLesionSlice  # noqa: E402

__all__ += ['DEEPLESION_CLASSES', 'DeepLesionFormatError', 'deeplesion_to_coco', 'read_dl_info',
            'window_slice', 'LoadDeepLesionSlice']
