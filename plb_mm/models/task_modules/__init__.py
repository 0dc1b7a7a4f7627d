from .assigners import *  # noqa: F401,F403
from .weighters import *  # noqa: F401,F403
from .assigners import __all__ as _assigners_all
from .weighters import __all__ as _weighters_all

__all__ = list(_assigners_all) + list(_weighters_all)
