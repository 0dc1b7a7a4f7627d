from .checkpoint import (AtomicLocalBackend, CheckpointCorruptError, CheckpointMismatchError,
                         PretrainedWeightsError, check_pretrained_weights,
                         check_checkpoint_fits, checkpoint_problem,
                         checkpoint_trusted, find_resumable_checkpoint, load_from_local,
                         set_checkpoint_trust, trusted_checkpoints)
from .hooks import (METRICS_FILE, DivergenceHook, ProSelfLCProgressHook, RunMetricsHook,
                    TrainingDivergedError, TripletSwitchHook, proselflc_losses, triplet_heads,
                    WeightsOnlyCheckpointHook, from_weights_only, read_run_metrics,
                    to_weights_only, update_run_metrics)
from .work_dir_lock import WorkDirBusyError, WorkDirLock, work_dir_holder

__all__ = [
    'checkpoint_trusted', 'load_from_local', 'set_checkpoint_trust',
    'trusted_checkpoints', 'AtomicLocalBackend', 'CheckpointCorruptError',
    'checkpoint_problem', 'find_resumable_checkpoint', 'CheckpointMismatchError',
    'check_checkpoint_fits', 'PretrainedWeightsError', 'check_pretrained_weights',
    'WeightsOnlyCheckpointHook',
    'to_weights_only', 'from_weights_only', 'RunMetricsHook', 'read_run_metrics',
    'update_run_metrics', 'METRICS_FILE', 'DivergenceHook', 'TrainingDivergedError',
    'ProSelfLCProgressHook', 'proselflc_losses', 'TripletSwitchHook', 'triplet_heads',
    'WorkDirLock', 'WorkDirBusyError', 'work_dir_holder'
]
