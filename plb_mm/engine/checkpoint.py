"""Checkpoint loading that keeps ``torch.load(weights_only=True)``.

torch >= 2.6 loads with ``weights_only=True`` by default, and mmengine 0.10.7
cannot read its own checkpoints that way: its message hub pickles
``HistoryBuffer`` objects whose bound statistics methods need ``getattr`` to
unpickle, and allow-listing ``getattr`` would make the safe loader unsafe.

plb_mm keeps the safe loader and fixes the files instead:

- :class:`~plb_mm.engine.hooks.WeightsOnlyCheckpointHook` (added to every run
  by ``plb_mm.apis``) stores the message hub as tensors and plain Python when a
  checkpoint is saved and rebuilds it when one is loaded, so plb_mm checkpoints
  resume (``--resume``) and test (``tools/test.py``) under ``weights_only=True``;
- this module replaces mmengine's local-file loader with one that names the
  file and tells how to opt in when a file needs the unsafe loader (a
  checkpoint from stock mmengine, say). Opting in (``--trust-checkpoint``, or
  ``PLB_TRUST_CHECKPOINT=1``) loads with ``weights_only=False``: do it only for
  files you trust.

It also makes checkpoints survive crashes:

- local files are written atomically (:class:`AtomicLocalBackend`: a
  temporary file in the same folder, then a rename), so the file a
  ``last_checkpoint`` pointer names is never half-written;
- a file that cannot be read (truncated, corrupt) is an error naming it, and
  :func:`find_resumable_checkpoint` (used by ``--resume``) skips such files
  with a warning and resumes from the newest one that is intact.
"""
import difflib
import glob
import os
import os.path as osp
import pickle
import re
import warnings
import zipfile
from contextlib import contextmanager
from typing import List, Optional, Tuple

import mmengine
import torch
from mmengine.fileio.backends import LocalBackend, register_backend
from mmengine.runner.checkpoint import CheckpointLoader

TRUST_ENV = 'PLB_TRUST_CHECKPOINT'


def checkpoint_trusted() -> bool:
    """Whether checkpoints may be loaded with ``weights_only=False``."""
    return os.environ.get(TRUST_ENV, '0').lower() in ('1', 'true', 'yes')


def set_checkpoint_trust(trust: bool) -> None:
    """Allow (or forbid) the unsafe loader for this process and its children."""
    os.environ[TRUST_ENV] = '1' if trust else '0'


@contextmanager
def trusted_checkpoints(trust: bool = True):
    """Temporarily allow the unsafe loader (tests, conversion scripts)."""
    old = os.environ.get(TRUST_ENV)
    set_checkpoint_trust(trust)
    try:
        yield
    finally:
        if old is None:
            os.environ.pop(TRUST_ENV, None)
        else:
            os.environ[TRUST_ENV] = old


@CheckpointLoader.register_scheme(prefixes='', force=True)
def load_from_local(filename, map_location):
    """mmengine's local-file loader, with ``weights_only`` made explicit."""
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'{filename} can not be found.')
    trusted = checkpoint_trusted()
    problem = checkpoint_problem(filename)
    if problem:
        raise CheckpointCorruptError(f'{filename}: cannot be read as a checkpoint ({problem}); '
                                     f'it may have been cut short by a crash during saving')
    try:
        return torch.load(filename, map_location=map_location, weights_only=not trusted)
    except pickle.UnpicklingError as e:
        raise pickle.UnpicklingError(
            f'{filename}: the file holds Python objects that torch.load(weights_only=True) '
            f'refuses (it was not saved by a plb_mm run, e.g. by stock mmengine). If you '
            f'trust the file, load it with `--trust-checkpoint` (tools/train.py, '
            f'tools/test.py) or {TRUST_ENV}=1; this runs pickled code from the file.\n'
            f'torch said: {str(e).splitlines()[-1] if str(e) else e}') from e


@CheckpointLoader.register_scheme(prefixes=('torchvision://', 'modelzoo://'), force=True)
def load_from_torchvision(filename, map_location=None):
    """mmengine's ``torchvision://NAME`` loader without torchvision.

    mmengine imports torchvision only to look up NAME's download URL; plb_mm
    installs no torchvision (no CPU wheel fits its torch), so the lookup
    falls back to the URL table mmengine ships (``hub/torchvision_0.12.json``,
    the ImageNet weights mmdet's configs mean: ``resnet18``, ``resnet50``...).
    The file is downloaded once into the torch hub cache, as before.
    """
    from mmengine.runner.checkpoint import load_from_http
    from mmengine.runner.checkpoint import load_from_torchvision as mmengine_loader
    try:
        import torchvision  # noqa: F401
    except ImportError:
        name = filename.split('://', 1)[1]
        urls = mmengine.load(osp.join(mmengine.__path__[0], 'hub', 'torchvision_0.12.json'))
        if name not in urls:
            near = difflib.get_close_matches(name, urls, n=4) or sorted(urls)[:6]
            raise KeyError(f'{filename}: no such torchvision model in mmengine\'s table '
                           f'(hub/torchvision_0.12.json); near: {", ".join(near)}')
        return load_from_http(urls[name], map_location=map_location)
    return mmengine_loader(filename, map_location=map_location)


class CheckpointCorruptError(RuntimeError):
    """A checkpoint file that is truncated or otherwise unreadable."""


def checkpoint_problem(filename: str) -> Optional[str]:
    """Why ``filename`` is not an intact torch checkpoint, or None.

    torch saves zip archives: their central directory sits at the end of the
    file, so a file cut short by a crash is not a valid zip, and ``testzip``
    checks every member's CRC. Legacy (non-zip) files are not checked here.
    """
    try:
        with open(filename, 'rb') as f:
            head = f.read(4)
    except OSError as e:
        return str(e)
    if not head:
        return 'the file is empty'
    if head != b'PK\x03\x04':
        return None  # legacy torch format: torch.load will tell
    try:
        with zipfile.ZipFile(filename) as z:
            bad = z.testzip()
    except (zipfile.BadZipFile, OSError, EOFError) as e:
        return f'not a complete zip archive: {e}'
    return f'member {bad} fails its CRC check' if bad else None


def _iteration_of(path: str) -> Tuple[int, float]:
    m = re.search(r'(?:epoch|iter)_(\d+)\.pth$', osp.basename(path))
    return (int(m.group(1)) if m else -1, osp.getmtime(path))


def find_resumable_checkpoint(work_dir: str) -> Optional[str]:
    """The newest intact checkpoint of ``work_dir`` (None when it has none).

    Candidates: the file named by mmengine's ``last_checkpoint`` pointer, then
    ``epoch_*.pth`` / ``iter_*.pth`` from the newest down. A candidate that
    :func:`checkpoint_problem` rejects is skipped with a warning naming it.
    """
    candidates: List[str] = []
    pointer = osp.join(work_dir, 'last_checkpoint')
    if osp.isfile(pointer):
        with open(pointer) as f:
            last = f.read().strip()
        if last and osp.isfile(last):
            candidates.append(last)
    found = glob.glob(osp.join(work_dir, 'epoch_*.pth')) + glob.glob(
        osp.join(work_dir, 'iter_*.pth'))
    candidates += [p for p in sorted(found, key=_iteration_of, reverse=True)
                   if not any(osp.samefile(p, c) for c in candidates)]
    for path in candidates:
        problem = checkpoint_problem(path)
        if problem is None:
            return path
        warnings.warn(f'{path}: skipped for --resume, the file is damaged ({problem}); '
                      f'trying the previous checkpoint')
    return None


class AtomicLocalBackend(LocalBackend):
    """mmengine's local file backend, with writes that are atomic: the bytes
    go to a temporary file in the target's folder, which is then renamed over
    the target. A crash during a save leaves the previous file intact."""

    def put(self, obj: bytes, filepath) -> None:
        filepath = str(filepath)
        mmengine.mkdir_or_exist(osp.dirname(filepath) or '.')
        tmp = f'{filepath}.{os.getpid()}.tmp'
        try:
            with open(tmp, 'wb') as f:
                f.write(obj)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, filepath)
        finally:
            if osp.exists(tmp):
                os.remove(tmp)


register_backend('local', AtomicLocalBackend, force=True, prefixes='')


class CheckpointMismatchError(RuntimeError):
    """A checkpoint whose weights do not fit the model of the config."""


def check_checkpoint_fits(model: torch.nn.Module, filename: Optional[str],
                          config: Optional[str] = None) -> None:
    """Raise :class:`CheckpointMismatchError` when ``filename``'s weights do
    not fit ``model``: a tensor of another shape (typically the classifier of
    a checkpoint trained with another number of classes) or model weights the
    checkpoint lacks (another architecture). mmengine would only warn and
    evaluate a partly random model (all-zero AP), or fail deep in the metric.
    Extra checkpoint entries are accepted (mmengine warns about them).
    """
    if not filename:
        return
    from mmengine.model import is_model_wrapper
    from mmengine.runner.checkpoint import _load_checkpoint
    model = model.module if is_model_wrapper(model) else model
    ckpt = _load_checkpoint(filename, map_location='cpu')
    state = ckpt.get('state_dict', ckpt) if isinstance(ckpt, dict) else {}
    state = {k[len('module.'):] if k.startswith('module.') else k: v for k, v in state.items()}
    own = model.state_dict()
    shape = [(k, tuple(state[k].shape), tuple(v.shape)) for k, v in own.items()
             if k in state and hasattr(state[k], 'shape') and state[k].shape != v.shape]
    missing = [k for k in own if k not in state]
    if not shape and not missing:
        return
    where = f' of {config}' if config else ''
    lines = [f'{filename}: the checkpoint does not fit the model{where}:']
    lines += [f'  {k}: {c} in the checkpoint, {m} in the model' for k, c, m in shape[:8]]
    if len(shape) > 8:
        lines.append(f'  ... and {len(shape) - 8} more tensors of other shapes')
    if missing:
        lines.append(f'  {len(missing)} model weights are not in the checkpoint, e.g. '
                     f'{", ".join(missing[:5])}')
    if any(k.endswith(('fc_cls.weight', 'conv_cls.weight', 'retina_cls.weight',
                       'atss_cls.weight', 'rpn_cls.weight')) for k, _, _ in shape):
        lines.append('  (a classifier of another size: the checkpoint was trained with '
                     'another number of classes than the config\'s)')
    lines.append('  Evaluate it with the config it was trained with.')
    raise CheckpointMismatchError('\n'.join(lines))


class PretrainedWeightsError(RuntimeError):
    """An ``init_cfg=dict(type='Pretrained', ...)`` whose weights cannot be
    loaded (no file, no network, no torchvision for ``torchvision://``)."""


def check_pretrained_weights(cfg) -> None:
    """Load every ``Pretrained`` checkpoint the model's ``init_cfg`` names
    (mmengine's loader: local path, URL, ``torchvision://``,
    ``open-mmlab://``; downloads land in the torch hub cache and are read
    from there next time) and raise :class:`PretrainedWeightsError` naming the
    config key, the checkpoint and the way out when one cannot be had.

    mmengine would fail the same way, but only after the data sets are built,
    with a bare ``URLError`` or ``ModuleNotFoundError: torchvision``.
    """
    from ..utils.config_check import config_types
    for key, type_, init in config_types(cfg.get('model', {}), 'model'):
        ckpt = init.get('checkpoint')
        if type_ != 'Pretrained' or not isinstance(ckpt, str):
            continue
        try:
            CheckpointLoader.load_checkpoint(ckpt, map_location='cpu', logger='silent')
        except Exception as e:  # noqa: BLE001 - reported with its cause below
            owner = key.rsplit('.', 1)[0] if key.endswith('.init_cfg') else key
            raise PretrainedWeightsError(
                f'{cfg.filename}: {key} asks for pretrained weights {ckpt!r}, which cannot '
                f'be loaded here ({type(e).__name__}: {e}). Either put the file where '
                f'mmengine looks for it ({torch.hub.get_dir()}/checkpoints/ for a URL, '
                f'torchvision:// and open-mmlab:// name; or a local path as checkpoint=...), '
                f'or train {owner} from scratch: --cfg-options {key}=None') from e
