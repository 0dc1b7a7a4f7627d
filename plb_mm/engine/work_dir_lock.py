"""One training per work dir: an advisory lock held while a run trains.

Two trainings writing into one work dir (a grid rerun while an orphaned run
still trains, two shells) interleave checkpoints and logs. ``tools/train.py``
holds ``<work_dir>/.train.lock`` (``fcntl.flock``) for the whole run; the
kernel releases it when the process ends, however it ends (kill -9
included), so a stale lock never blocks a later run. The file records who
holds it.
"""
import fcntl
import json
import os
import os.path as osp
import socket
import sys
import time
from typing import Optional

LOCK_FILE = '.train.lock'


class WorkDirBusyError(RuntimeError):
    """Another process trains in this work dir."""


def _holder_text(path: str) -> str:
    try:
        with open(path) as f:
            info = json.loads(f.read() or '{}')
    except (OSError, ValueError):
        return 'another process'
    return (f"process {info.get('pid')} on {info.get('host')} (since {info.get('since')}): "
            f"{info.get('command', '')}")


def work_dir_holder(work_dir: str) -> Optional[str]:
    """Who trains in ``work_dir`` now (a description), or None if nobody."""
    path = osp.join(work_dir, LOCK_FILE)
    if not osp.isfile(path):
        return None
    with open(path, 'a+') as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return _holder_text(path)
        fcntl.flock(f, fcntl.LOCK_UN)
    return None


class WorkDirLock:
    """``with WorkDirLock(work_dir):`` train; raises :class:`WorkDirBusyError`
    naming the holder when another process holds the lock."""

    def __init__(self, work_dir: str):
        self.work_dir = work_dir
        self.path = osp.join(work_dir, LOCK_FILE)
        self._file = None

    def __enter__(self):
        os.makedirs(self.work_dir, exist_ok=True)
        f = open(self.path, 'a+')
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            f.close()
            raise WorkDirBusyError(
                f'{self.work_dir}: another training runs in this work dir '
                f'({_holder_text(self.path)}); wait for it to end or stop it, or use '
                f'another --work-dir') from None
        f.seek(0)
        f.truncate()
        json.dump(dict(pid=os.getpid(), host=socket.gethostname(),
                       since=time.strftime('%Y-%m-%d %H:%M:%S'),
                       command=' '.join(sys.argv)), f)
        f.flush()
        self._file = f
        return self

    def __exit__(self, *exc):
        if self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None
        return False
