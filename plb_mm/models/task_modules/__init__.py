from .weighters import *  # noqa: F401,F403
from .weighters import __all__ as _weighters_all

__all__ = list(_weighters_all)
