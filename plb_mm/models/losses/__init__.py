from .asymmetric_loss import AsymmetricLoss, asymmetric_loss
from .label_smoothing_cross_entropy_loss import LabelSmoothingCrossEntropyLoss
from .proselflc_loss import ProSelfLCLoss
from .soft_target_cross_entropy import SoftTargetCrossEntropyLoss, soft_target_cross_entropy

__all__ = [
    'AsymmetricLoss', 'LabelSmoothingCrossEntropyLoss', 'ProSelfLCLoss',
    'SoftTargetCrossEntropyLoss', 'asymmetric_loss', 'soft_target_cross_entropy'
]
