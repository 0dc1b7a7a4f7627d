import contextlib
import os
import subprocess
import sys

import pytest

from plb_mm.engine import WorkDirBusyError, WorkDirLock, work_dir_holder
from plb_mm.engine import work_dir_lock

# Another process that takes the lock and sleeps (imports only the lock module).
_HOLDER = f"""
import importlib.util, sys, time
spec = importlib.util.spec_from_file_location('wdl', {work_dir_lock.__file__!r})
m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)
lock = m.WorkDirLock(sys.argv[1]).__enter__()
print('locked', flush=True)
time.sleep(600)
"""


@contextlib.contextmanager
def hold_lock(work_dir: str):
    """A separate process holds ``work_dir``'s lock; yields its pid, then
    kills it with SIGKILL."""
    proc = subprocess.Popen([sys.executable, '-c', _HOLDER, work_dir], stdout=subprocess.PIPE,
                            text=True)
    try:
        assert proc.stdout.readline().strip() == 'locked'
        yield proc.pid
    finally:
        proc.kill()
        proc.wait()


def test_second_training_is_refused_and_kill_releases(tmp_path):
    wd = str(tmp_path / 'wd')
    assert work_dir_holder(wd) is None
    with hold_lock(wd) as pid:
        assert f'process {pid}' in work_dir_holder(wd)
        with pytest.raises(WorkDirBusyError, match=rf'{wd}: another training runs in this work '
                           rf'dir \(process {pid} on .*\); wait for it'):
            with WorkDirLock(wd):
                pass
    # the holder died by SIGKILL: the kernel released its lock
    assert work_dir_holder(wd) is None
    with WorkDirLock(wd):  # flock is per open file: our own lock shows, too
        assert f'process {os.getpid()}' in work_dir_holder(wd)
    assert work_dir_holder(wd) is None
