from .checkpoint import (checkpoint_trusted, load_from_local, set_checkpoint_trust,
                         trusted_checkpoints)
from .hooks import (METRICS_FILE, RunMetricsHook, WeightsOnlyCheckpointHook,
                    from_weights_only, read_run_metrics, to_weights_only)

__all__ = [
    'checkpoint_trusted', 'load_from_local', 'set_checkpoint_trust',
    'trusted_checkpoints', 'WeightsOnlyCheckpointHook', 'to_weights_only',
    'from_weights_only', 'RunMetricsHook', 'read_run_metrics', 'METRICS_FILE'
]
