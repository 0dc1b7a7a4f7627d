from .dense_heads import *  # noqa: F401,F403
from .detectors import *  # noqa: F401,F403
from .layers import *  # noqa: F401,F403
from .losses import *  # noqa: F401,F403
from .roi_heads import *  # noqa: F401,F403
from .task_modules import *  # noqa: F401,F403
from .dense_heads import __all__ as _dense_heads
from .detectors import __all__ as _detectors
from .layers import __all__ as _layers
from .losses import __all__ as _losses
from .roi_heads import __all__ as _roi_heads
from .task_modules import __all__ as _task_modules

__all__ = _dense_heads + _detectors + _layers + _losses + _roi_heads + _task_modules
