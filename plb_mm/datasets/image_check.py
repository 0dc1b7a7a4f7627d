"""Checks that image files exist, can be read and have the size their
annotation records say, before training starts rather than when their batch
loads hours in.

Two depths:

- ``'header'`` (the default): PIL reads the file's header (format, size, EXIF
  orientation) and the file's end is checked for the format's end marker
  (JPEG ``FF D9``, PNG ``IEND``), which finds truncated files, files that are
  not images, and size mismatches, reading a few kilobytes per file;
- ``'decode'``: the file is also decoded as the training loader decodes it
  (cv2, colour, EXIF orientation applied) and PNG chunk checksums are
  verified, which finds damage inside a file that the decoders report, at
  the cost of a full read and decode. Damage inside a JPEG that libjpeg only
  warns about (it fills the rest grey, and so does the loader) passes both
  levels unless the file has lost its end.

Files found good are cached by path, size and modification time in a JSON file
under :func:`default_cache_dir`, so a second check of an unchanged data set
only stats its files. A cache that cannot be read or written is ignored.
"""
import hashlib
import json
import logging
import os
import os.path as osp
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple

from mmengine.logging import print_log

__all__ = ['ImageRecord', 'ImageCheckResult', 'check_image_files', 'default_cache_dir',
           'LEVELS']

LEVELS = ('header', 'decode')
_CACHE_VERSION = 1
# How far from the end a JPEG's end-of-image marker may sit (some writers pad
# or append data after it; entropy-coded data cannot contain FF D9).
_JPEG_TAIL = 4096


class ImageRecord(NamedTuple):
    """One image to check: its path, the size its record gives (or None) and
    how to name the record in a problem line."""
    path: str
    width: Optional[float]
    height: Optional[float]
    where: str


class ImageCheckResult(NamedTuple):
    problems: List[str]   # one line per bad file: the record, the path, what is wrong
    checked: int          # files opened in this check
    cached: int           # files known good from the cache
    seconds: float


def default_cache_dir() -> str:
    """``$PLB_MM_CACHE_DIR``, else ``$XDG_CACHE_HOME/plb_mm``, else
    ``~/.cache/plb_mm``."""
    if os.environ.get('PLB_MM_CACHE_DIR'):
        return os.environ['PLB_MM_CACHE_DIR']
    base = os.environ.get('XDG_CACHE_HOME') or osp.join(osp.expanduser('~'), '.cache')
    return osp.join(base, 'plb_mm')


def _cache_file(cache_dir: str, key: str) -> str:
    digest = hashlib.sha1(osp.abspath(key).encode()).hexdigest()[:16]
    stem = ''.join(c if c.isalnum() or c in '-_.' else '_' for c in osp.basename(key))
    return osp.join(cache_dir, 'image_check', f'{stem}-{digest}.json')


def _read_cache(path: str) -> Dict[str, list]:
    try:
        with open(path) as f:
            data = json.load(f)
        if data.get('version') == _CACHE_VERSION and isinstance(data.get('files'), dict):
            return data['files']
    except (OSError, ValueError, AttributeError):
        pass
    return {}


def _write_cache(path: str, files: Dict[str, list]) -> None:
    """Write atomically (temp file, then rename); give up quietly when the
    folder cannot be written."""
    try:
        os.makedirs(osp.dirname(path), exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=osp.dirname(path), suffix='.tmp')
        try:
            with os.fdopen(fd, 'w') as f:
                json.dump(dict(version=_CACHE_VERSION, files=files), f)
            os.replace(tmp, path)
        finally:
            if osp.exists(tmp):
                os.unlink(tmp)
    except OSError as e:
        print_log(f'image check: cannot write the cache {path} ({e}); the next '
                  f'check will open every file again', logger='current',
                  level=logging.WARNING)


def _tail_ok(path: str, fmt: str) -> Optional[str]:
    """None if the file ends as its format says, else what is wrong."""
    if fmt not in ('JPEG', 'MPO', 'PNG'):
        return None
    size = osp.getsize(path)
    with open(path, 'rb') as f:
        f.seek(max(0, size - _JPEG_TAIL))
        tail = f.read()
    if fmt == 'PNG':
        return None if b'IEND' in tail[-64:] else 'truncated: the PNG has no IEND chunk at its end'
    return None if b'\xff\xd9' in tail else \
        'truncated: the JPEG has no end-of-image marker (FF D9) at its end'


def _open_image(path: str, level: str) -> Tuple[Optional[Tuple[int, int]], Optional[str]]:
    """``((width, height) as loaded, None)`` or ``(None, what is wrong)``.

    The size is the one mmcv's loader gives: EXIF orientations 5-8 swap width
    and height, as cv2 turns the image upright when it reads it."""
    from PIL import Image, UnidentifiedImageError
    try:
        with Image.open(path) as im:
            fmt, (w, h) = im.format, im.size
            try:
                orientation = im.getexif().get(0x0112, 1)
            except Exception:  # a broken EXIF block does not stop cv2
                orientation = 1
        if level == 'decode':
            with Image.open(path) as im:
                im.verify()  # PNG: the CRC of every chunk
    except UnidentifiedImageError:
        return None, 'not an image PIL can identify (empty, corrupt or another format)'
    except (OSError, SyntaxError, ValueError) as e:  # PIL raises SyntaxError for bad PNGs
        return None, f'cannot be read: {e}'
    bad_tail = _tail_ok(path, fmt)
    if bad_tail:
        return None, bad_tail
    if orientation in (5, 6, 7, 8):
        w, h = h, w
    if level == 'decode':
        import cv2
        import numpy as np
        img = cv2.imdecode(np.fromfile(path, np.uint8), cv2.IMREAD_COLOR)
        if img is None:
            return None, 'cannot be decoded (cv2, as the training loader reads it)'
        w, h = img.shape[1], img.shape[0]
    return (w, h), None


def check_image_files(records: Sequence[ImageRecord], level: str = 'header',
                      cache_key: Optional[str] = None, cache_dir: Optional[str] = None,
                      num_workers: int = 8) -> ImageCheckResult:
    """Check that each file exists, reads at ``level`` and has its record's
    size; return every problem found.

    Args:
        records: the images, as :class:`ImageRecord`.
        level (str): ``'header'`` or ``'decode'`` (see the module docstring).
        cache_key (str, optional): names the cache (the annotation file);
            ``None`` checks without a cache.
        cache_dir (str, optional): defaults to :func:`default_cache_dir`.
        num_workers (int): threads that open files (I/O bound).
    """
    if level not in LEVELS:
        raise ValueError(f'image check level {level!r}: expected one of {LEVELS}')
    start = time.time()
    cache_path = _cache_file(cache_dir or default_cache_dir(), cache_key) if cache_key else None
    cache = _read_cache(cache_path) if cache_path else {}
    problems: Dict[int, str] = {}
    sizes: Dict[int, Tuple[int, int]] = {}
    todo: List[Tuple[int, str, list]] = []
    new_cache: Dict[str, list] = {}
    cached = 0
    for i, rec in enumerate(records):
        path = osp.abspath(rec.path)
        try:
            st = os.stat(path)
        except OSError:
            problems[i] = f'{rec.where}: image file not found at {rec.path}'
            continue
        stamp = [st.st_size, st.st_mtime_ns]
        hit = cache.get(path)
        if (isinstance(hit, list) and len(hit) == 5 and hit[:2] == stamp
                and LEVELS.index(hit[4]) >= LEVELS.index(level)):
            sizes[i] = (hit[2], hit[3])
            new_cache[path] = hit
            cached += 1
        else:
            todo.append((i, path, stamp))
    if len(todo) > 200:
        print_log(f'image check ({level}): opening {len(todo)} image files '
                  f'({cached} known good from the cache)...', logger='current')
    with ThreadPoolExecutor(max(1, num_workers)) as pool:
        opened = list(pool.map(lambda t: _open_image(t[1], level), todo))
    for (i, path, stamp), (size, error) in zip(todo, opened):
        if error:
            problems[i] = f'{records[i].where}: {records[i].path}: {error}'
        else:
            sizes[i] = size
            new_cache[path] = [*stamp, size[0], size[1], level]
    for i, (w, h) in sizes.items():
        rec = records[i]
        if rec.width is not None and rec.height is not None and (w, h) != (rec.width, rec.height):
            problems[i] = (f'{rec.where}: {rec.path} is {w}x{h} pixels (width x height, '
                           f'as loaded), the record says {rec.width}x{rec.height}')
    if cache_path and (todo or len(new_cache) != len(cache)):
        _write_cache(cache_path, new_cache)
    return ImageCheckResult([problems[i] for i in sorted(problems)], len(todo), cached,
                            time.time() - start)
