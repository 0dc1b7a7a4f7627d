from .label_smoothing_cross_entropy_loss import LabelSmoothingCrossEntropyLoss
from .proselflc_loss import ProSelfLCLoss
from .soft_target_cross_entropy import SoftTargetCrossEntropyLoss, soft_target_cross_entropy

__all__ = [
    'LabelSmoothingCrossEntropyLoss', 'ProSelfLCLoss', 'SoftTargetCrossEntropyLoss',
    'soft_target_cross_entropy'
]
