import os

import torch
import torch.distributed as torch_dist
from mmengine.config import Config
from mmengine.dist import is_distributed


def setup_distributed(cfg: Config, launcher: str) -> None:
    """Prepare ``cfg`` (and the process group) for ``launcher``.

    With CUDA, nothing changes: mmengine initialises NCCL as usual. Without
    CUDA, mmengine's own initialisation would call ``torch.cuda.set_device``
    and fail, so the process group is initialised here with ``gloo`` before the
    Runner looks (it then skips its own), and the DDP wrapper gets
    ``device_ids=None`` (CPU modules take no device ids).

    Args:
        cfg (Config): the run's config; ``env_cfg.dist_cfg`` and
            ``model_wrapper_cfg`` are updated in place.
        launcher (str): ``'none'``, ``'pytorch'`` (torchrun), ``'slurm'`` or
            ``'mpi'``.
    """
    cfg.launcher = launcher
    if launcher == 'none' or torch.cuda.is_available():
        return
    if launcher != 'pytorch':
        raise RuntimeError(
            f"launcher '{launcher}' without CUDA is not supported: on CPU, launch "
            f"with torchrun (tools/dist_train.sh, launcher 'pytorch')")
    for var in ('RANK', 'WORLD_SIZE', 'LOCAL_RANK', 'MASTER_ADDR', 'MASTER_PORT'):
        if var not in os.environ:
            raise RuntimeError(
                f"launcher 'pytorch' needs ${var}; start the run with torchrun "
                f"(tools/dist_train.sh CONFIG NPROC)")
    cfg.setdefault('env_cfg', {}).setdefault('dist_cfg', {})['backend'] = 'gloo'
    wrapper = dict(cfg.get('model_wrapper_cfg') or {})
    wrapper.setdefault('type', 'MMDistributedDataParallel')
    wrapper['device_ids'] = None
    cfg.model_wrapper_cfg = wrapper
    if not is_distributed():
        torch_dist.init_process_group(backend='gloo')
