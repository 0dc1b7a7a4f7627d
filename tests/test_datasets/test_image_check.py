"""check_image_files: what each level finds, EXIF orientation, the cache."""
import cv2
import numpy as np
import pytest
from PIL import Image

import plb_mm.datasets.image_check as image_check
from plb_mm.datasets import ImageRecord, check_image_files

IMG = np.random.default_rng(0).integers(0, 255, (80, 100, 3), dtype=np.uint8)


def _rec(path, w=100, h=80):
    return ImageRecord(str(path), w, h, f'rec {path.name}')


def _damaged(path, how):
    cv2.imwrite(str(path), IMG)
    data = bytearray(path.read_bytes())
    if how == 'middle':
        mid = len(data) // 2
        data[mid:mid + 50] = bytes(50)
    elif how == 'cut':
        data = data[:len(data) // 2]
    path.write_bytes(bytes(data))
    return path


@pytest.mark.parametrize('name, how, header_finds', [
    ('a.jpg', 'cut', True),
    ('a.png', 'cut', True),
    ('a.png', 'middle', False),    # a bad IDAT checksum: decode only
    ('a.bmp', 'cut', False),       # BMP has no end marker: decode only
    ('a.jpg', 'none', None),
    ('a.png', 'none', None),
])
def test_levels(tmp_path, name, how, header_finds):
    path = _damaged(tmp_path / name, how)
    header = check_image_files([_rec(path)], 'header').problems
    decode = check_image_files([_rec(path)], 'decode').problems
    if header_finds is None:
        assert header == decode == []
    else:
        assert bool(header) == header_finds and len(decode) == 1
        assert decode[0].startswith(f'rec {name}: {path}: ')


def test_not_an_image_and_empty_file(tmp_path):
    (tmp_path / 'a.jpg').write_text('<html>404</html>')
    (tmp_path / 'b.jpg').write_bytes(b'')
    problems = check_image_files([_rec(tmp_path / 'a.jpg'), _rec(tmp_path / 'b.jpg')]).problems
    assert len(problems) == 2 and all('not an image PIL can identify' in p for p in problems)


def test_exif_orientation_gives_the_loaded_size(tmp_path):
    im = Image.fromarray(IMG)  # stored 100 wide, 80 high
    exif = im.getexif()
    exif[0x0112] = 6           # rotate 90 degrees on display / load
    im.save(tmp_path / 'o.jpg', exif=exif)
    assert cv2.imread(str(tmp_path / 'o.jpg')).shape[:2] == (100, 80)   # what mmcv gets
    for level in ('header', 'decode'):
        [p] = check_image_files([_rec(tmp_path / 'o.jpg')], level).problems
        assert 'is 80x100 pixels (width x height, as loaded), the record says 100x80' in p
        assert check_image_files([_rec(tmp_path / 'o.jpg', 80, 100)], level).problems == []


def test_cache_knows_the_level(tmp_path, monkeypatch):
    cv2.imwrite(str(tmp_path / 'a.png'), IMG)
    opened = []
    real_open = image_check._open_image
    monkeypatch.setattr(image_check, '_open_image',
                        lambda path, level: opened.append(level) or real_open(path, level))
    recs, key = [_rec(tmp_path / 'a.png')], str(tmp_path / 'ann.json')
    assert check_image_files(recs, 'header', cache_key=key).checked == 1
    assert check_image_files(recs, 'header', cache_key=key).cached == 1
    assert check_image_files(recs, 'decode', cache_key=key).checked == 1  # header is not enough
    assert check_image_files(recs, 'header', cache_key=key).cached == 1   # decode covers header
    assert opened == ['header', 'decode']
    check_image_files(recs, 'header')                                      # no cache_key: no cache
    assert opened == ['header', 'decode', 'header']
    with pytest.raises(ValueError, match="level 'full'"):
        check_image_files(recs, 'full')
