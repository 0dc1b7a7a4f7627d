import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
QUICKSTART = REPO / 'configs/quickstart/faster-rcnn_r18_fpn_tiny_12e_synthetic-cells.py'
# A tiny synthetic data set shared by the tests that train.
TINY_SYNTHETIC = dict(num_train=8, num_val=4, seed=0, img_size=320)


@pytest.fixture(scope='session')
def synthetic_root(tmp_path_factory):
    from plb_mm.datasets import generate_synthetic_cells
    root = tmp_path_factory.mktemp('data') / 'cells'
    generate_synthetic_cells(str(root), verbose=False, **TINY_SYNTHETIC)
    return root


def tiny_config(path: Path, data_root: Path, base: Path = QUICKSTART, extra: str = '',
                max_epochs: int = 2) -> str:
    """Write a child of ``base`` that trains ``max_epochs`` short epochs on the
    tiny synthetic set (batch 2, no workers, checkpoint every epoch)."""
    path.write_text(f"""
_base_ = '{base}'
data_root = '{data_root}/'
synthetic = {TINY_SYNTHETIC!r}
train_dataloader = dict(batch_size=2, num_workers=0, persistent_workers=False,
                        dataset=dict(data_root=data_root, synthetic=synthetic))
val_dataloader = dict(batch_size=2, num_workers=0, persistent_workers=False,
                      dataset=dict(data_root=data_root, synthetic=synthetic))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=data_root + 'annotations/val.json')
test_evaluator = val_evaluator
train_cfg = dict(max_epochs={max_epochs}, val_interval={max_epochs})
default_hooks = dict(logger=dict(interval=1), checkpoint=dict(interval=1, max_keep_ckpts=-1))
{extra}
""")
    return str(path)


def run_tool(*args, env=None, timeout=900, check=True):
    """Run a repo tool (``tools/train.py ...`` or a shell script) from the repo
    root with this interpreter; returns the CompletedProcess (output captured)."""
    full_env = dict(os.environ, PYTHON=sys.executable, **(env or {}))
    full_env = {k: v for k, v in full_env.items() if v is not None}  # None unsets
    cmd = ['bash', *args] if args[0].endswith('.sh') else [sys.executable, *args]
    proc = subprocess.run(cmd, cwd=REPO, env=full_env, capture_output=True, text=True,
                          timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f'{cmd} failed ({proc.returncode}):\n'
                             f'{proc.stdout[-4000:]}\n{proc.stderr[-6000:]}')
    return proc
