"""plb_mm: MMDetection 3.3 plug-ins for small-object and sparse-annotation
detection in medical images. Importing the package registers its modules in
mmdet's registries (``custom_imports = dict(imports=['plb_mm'])``)."""
from .version import __version__
from . import datasets, engine, evaluation, models, visualization  # noqa: F401,E402

__all__ = ['__version__']
