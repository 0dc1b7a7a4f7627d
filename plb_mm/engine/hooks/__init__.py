from .divergence_hook import DivergenceHook, TrainingDivergedError
from .proselflc_progress_hook import ProSelfLCProgressHook, proselflc_losses
from .pseudo_label_quality_hook import (PseudoLabelQualityHook, hidden_boxes_in_input_frame,
                                        match_pseudo_labels)
from .run_metrics_hook import METRICS_FILE, RunMetricsHook, read_run_metrics, update_run_metrics
from .triplet_switch_hook import TripletSwitchHook, triplet_heads
from .weights_only_checkpoint_hook import (WeightsOnlyCheckpointHook,
                                           from_weights_only, to_weights_only)

__all__ = [
    'WeightsOnlyCheckpointHook', 'to_weights_only', 'from_weights_only',
    'RunMetricsHook', 'read_run_metrics', 'update_run_metrics', 'METRICS_FILE',
    'DivergenceHook', 'TrainingDivergedError', 'ProSelfLCProgressHook', 'proselflc_losses',
    'TripletSwitchHook', 'triplet_heads', 'PseudoLabelQualityHook', 'match_pseudo_labels',
    'hidden_boxes_in_input_frame'
]
