from .box_weighter import (LOSS_TERMS, BaseBoxWeighter, WeightingBoxes, box_areas,
                           build_weighters, combine_weights, per_image_mean,
                           sum_over_ranks)
from .bde_weighter import BDEWeighter, NegativeScaleWeighter, boxes_density_energy
from .dc_weighter import DCWeighter, dynamic_coefficient
from .plb_weighter import PLBWeighter

__all__ = [
    'LOSS_TERMS', 'BaseBoxWeighter', 'WeightingBoxes', 'box_areas', 'build_weighters',
    'combine_weights', 'per_image_mean', 'sum_over_ranks', 'PLBWeighter', 'DCWeighter',
    'dynamic_coefficient', 'BDEWeighter', 'NegativeScaleWeighter', 'boxes_density_energy'
]
