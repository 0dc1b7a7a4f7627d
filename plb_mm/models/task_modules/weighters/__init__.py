from .box_weighter import (LOSS_TERMS, BaseBoxWeighter, WeightingBoxes, box_areas,
                           build_weighters, combine_weights, per_image_mean)
from .plb_weighter import PLBWeighter

__all__ = [
    'LOSS_TERMS', 'BaseBoxWeighter', 'WeightingBoxes', 'box_areas', 'build_weighters',
    'combine_weights', 'per_image_mean', 'PLBWeighter'
]
