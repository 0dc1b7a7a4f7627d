from .collect import VariantResult, collect, format_markdown, write_results
from .runner import Launch, command, run_grid, run_state, slurm_script
from .spec import GridSpec, GridSpecError, Run, Variant, load_grid

__all__ = [
    'VariantResult', 'collect', 'format_markdown', 'write_results', 'Launch', 'command',
    'run_grid', 'run_state', 'slurm_script', 'GridSpec', 'GridSpecError', 'Run', 'Variant',
    'load_grid'
]
