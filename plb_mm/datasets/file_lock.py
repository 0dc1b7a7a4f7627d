import contextlib
import fcntl
import os
import os.path as osp


@contextlib.contextmanager
def file_lock(path: str):
    """An exclusive lock beside ``path`` (``.<name>.lock`` in its folder): one
    process at a time checks and (re)writes what ``path`` names."""
    path = osp.abspath(path)
    os.makedirs(osp.dirname(path), exist_ok=True)
    with open(osp.join(osp.dirname(path), f'.{osp.basename(path)}.lock'), 'a') as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)
