from .tiled_inference import TiledInference, tile_origins

__all__ = ['TiledInference', 'tile_origins']
