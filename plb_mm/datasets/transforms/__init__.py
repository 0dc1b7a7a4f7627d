from .black_out_unlabeled import BlackOutUnlabeled
from .crop_to_labeled_region import CropToLabeledRegion
from .load_deeplesion_slice import LoadDeepLesionSlice
from .load_sladet_annotations import LoadSLADetAnnotations
from .pack_sladet_inputs import PackSLADetInputs
from .pad_sides import PadSides
from .random_crop_sides import RandomCropSides
from .region_filter_annotations import RegionFilterAnnotations
from .region_mosaic import RegionMosaic
from .region_random_affine import RegionRandomAffine
from .region_random_crop import RegionRandomCrop
from .region_random_flip import RegionRandomFlip
from .region_resize import RegionResize
from .region_rows import MoveRegionsAsBoxes, clip_regions

__all__ = [
    'LoadSLADetAnnotations', 'PackSLADetInputs', 'RegionFilterAnnotations', 'RegionMosaic',
    'RegionRandomAffine', 'RegionRandomCrop', 'RegionRandomFlip', 'RegionResize',
    'MoveRegionsAsBoxes', 'clip_regions', 'LoadDeepLesionSlice', 'CropToLabeledRegion',
    'BlackOutUnlabeled', 'PadSides', 'RandomCropSides'
]
