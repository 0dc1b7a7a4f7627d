from .attri_yolox import AttriYOLOX
from .tiled_inference import TiledInference, tile_origins

__all__ = ['AttriYOLOX', 'TiledInference', 'tile_origins']
