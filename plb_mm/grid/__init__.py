from .collect import VariantResult, collect, format_markdown, read_prior, write_results
from .runner import (GridInterrupted, Launch, command, progress_line, run_grid, run_state,
                     slurm_script)
from .spec import GridSpec, GridSpecError, Run, Variant, load_grid

__all__ = [
    'VariantResult', 'collect', 'format_markdown', 'read_prior', 'write_results', 'Launch',
    'command', 'GridInterrupted', 'progress_line',
    'run_grid', 'run_state', 'slurm_script', 'GridSpec', 'GridSpecError', 'Run', 'Variant',
    'load_grid'
]
