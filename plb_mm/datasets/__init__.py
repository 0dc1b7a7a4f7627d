from .checked_coco import CheckedCocoDataset, CocoFormatError
from .synthetic_cells import (SyntheticCellsDataset, ensure_synthetic_cells,
                              generate_synthetic_cells)

__all__ = [
    'CheckedCocoDataset', 'CocoFormatError', 'SyntheticCellsDataset',
    'ensure_synthetic_cells', 'generate_synthetic_cells'
]
