from .checked_coco import CheckedCocoDataset, CocoFormatError
from .converters import PRESETS, VOCFormatError, parse_voc_xml, voc_to_coco
from .synthetic_cells import (SyntheticCellsDataset, ensure_synthetic_cells,
                              generate_synthetic_cells)

__all__ = [
    'CheckedCocoDataset', 'CocoFormatError', 'SyntheticCellsDataset',
    'ensure_synthetic_cells', 'generate_synthetic_cells', 'PRESETS', 'VOCFormatError',
    'parse_voc_xml', 'voc_to_coco'
]
