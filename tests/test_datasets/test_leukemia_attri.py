"""The LeukemiaAttri / Sparse-LeukemiaAttri -> COCO reader, on tiny data sets
written here: both row layouts, the region sources and options, and each
error rule (file and line named)."""
import json
import runpy

import pytest
from PIL import Image

from plb_mm.datasets import CheckedCocoDataset
from plb_mm.datasets.converters import (LEUKEMIA_ATTRIBUTES, LEUKEMIA_ATTRIBUTES_RAW,
                                        LEUKEMIA_CLASSES, YoloFormatError, leukemia_to_coco,
                                        parse_leukemia_attributes, parse_region)

from ..conftest import REPO

W, H = 200, 100


def _dataset(root, split, labels, regions=None, data_yaml=None):
    """labels: {stem: label text, or None for no label file}; regions:
    {stem: region file text}."""
    for sub in ('images', 'labels', 'regions'):
        (root / sub / split).mkdir(parents=True, exist_ok=True)
    for stem, text in labels.items():
        Image.new('RGB', (W, H), (200, 150, 160)).save(root / 'images' / split / f'{stem}.png')
        if text is not None:
            (root / 'labels' / split / f'{stem}.txt').write_text(text)
    for stem, text in (regions or {}).items():
        (root / 'regions' / split / f'{stem}.txt').write_text(text)
    if data_yaml:
        (root / 'data.yaml').write_text(data_yaml)
    return root


# cls cx cy w h | region x1 y1 x2 y2 (px) | cell size, NC, NS, N, C, CB, CV
SPARSE = {
    'a': ('3 0.25 0.5 0.1 0.2  20 30 80 70  1 0 1 2 0 1 -1\n'
          '1 0.35 0.4 0.1 0.2  20 30 80 70  0 1 1 1 1 1 1\n'
          '2 0.75 0.5 0.1 0.2  130 20 190 90  2 0 0 0 0 0 0\n'),
    'b': '',      # an empty label file: no rows, no region known
    'c': None,    # no label file
}


def test_sparse_rows_layout(tmp_path):
    root = _dataset(tmp_path / 'sparse', 'train', SPARSE)
    out = tmp_path / 'sparse/annotations/train.json'
    coco = leukemia_to_coco(str(root), 'train', out_file=str(out))
    assert json.loads(out.read_text()) == coco
    assert [c['name'] for c in coco['categories']] == list(LEUKEMIA_CLASSES)  # no data.yaml
    imgs = {i['file_name']: i for i in coco['images']}
    assert imgs['images/train/a.png']['labeled_regions'] == [[20, 30, 80, 70], [130, 20, 190, 90]]
    assert imgs['images/train/b.png']['labeled_regions'] == []
    assert imgs['images/train/c.png']['labeled_regions'] == []
    a = coco['annotations']
    # 200 x 100: cx 0.25 cy 0.5 w 0.1 h 0.2 -> x 40, y 40, w 20, h 20; class 3 -> id 4
    assert (a[0]['bbox'], a[0]['category_id']) == ([40, 40, 20, 20], 4)
    # raw: 2 and -1 are unknown (-1); attributes drop cell size (column 1)
    assert a[0]['attributes_raw'] == [1, 0, 1, -1, 0, 1, -1]
    assert a[0]['attributes'] == [0, 1, -1, 0, 1, -1]
    assert a[1]['attributes'] == [1] * 6 and a[2]['attributes_raw'] == [-1] + [0] * 6
    info = coco['info']
    assert info['attributes'] == list(LEUKEMIA_ATTRIBUTES) and len(LEUKEMIA_ATTRIBUTES) == 6
    assert info['attributes_raw'][0] == 'cell_size' and len(LEUKEMIA_ATTRIBUTES_RAW) == 7
    assert info['options']['layout'] == 'regions' and info['options']['regions'] == 'rows'
    s = info['summary']
    assert (s['images'], s['boxes'], s['regions'], s['no_region'], s['whole']) == (3, 3, 2, 2, 0)
    ds = CheckedCocoDataset(data_root=str(root), ann_file='annotations/train.json',
                            data_prefix=dict(img=''), metainfo=dict(classes=LEUKEMIA_CLASSES),
                            filter_cfg=dict(filter_empty_gt=False), pipeline=[])
    assert len(ds) == 3 and len(ds.get_data_info(0)['instances']) == 3


def test_region_order_units_and_none(tmp_path):
    # the README's column order (x1 x2 y1 y2), normalised
    root = _dataset(tmp_path / 'n', 'train', {
        'a': '0 0.5 0.5 0.1 0.2  0.25 0.75 0.2 0.8  0 0 0 0 0 0 0\n'},
        data_yaml='names: [None, Myeloblast]\n')
    coco = leukemia_to_coco(str(root), 'train', region_order='xxyy', region_units='normalized')
    assert coco['images'][0]['labeled_regions'] == [[50, 20, 150, 80]]
    assert [c['name'] for c in coco['categories']] == ['None', 'Myeloblast']   # data.yaml
    # read as x1 y1 x2 y2 the same columns are malformed (y2 0.2 < y1 0.75)
    with pytest.raises(YoloFormatError, match=r"a.txt: line 1: malformed region.*xxyy"):
        leukemia_to_coco(str(root), 'train', region_units='normalized')
    whole = leukemia_to_coco(str(root), 'train', regions='none')   # a fully annotated split
    assert 'labeled_regions' not in whole['images'][0]
    assert whole['info']['summary']['whole'] == 1


def test_attributes_layout_with_region_files(tmp_path):
    root = _dataset(tmp_path / 'attri', 'val', {
        'a': '0 0.5 0.5 0.1 0.2 1 1 0 0 1 0 1\n', 'b': '5 0.1 0.1 0.1 0.1 0 0 0 0 0 0 0\n'},
        regions={'a': '0 0 0.5 1\n\n0.5 0 1.0 0.5\n'})
    coco = leukemia_to_coco(str(root), 'val')
    assert coco['info']['options']['layout'] == 'attributes'
    assert coco['info']['options']['regions'] == 'files'
    a, b = coco['images']
    assert a['labeled_regions'] == [[0, 0, 100, 100], [100, 0, 200, 50]]
    assert 'labeled_regions' not in b            # no region file: labelled whole
    assert coco['annotations'][0]['attributes'] == [1, 0, 0, 1, 0, 1]
    with pytest.raises(ValueError, match="regions='rows' needs the 16-field layout"):
        leukemia_to_coco(str(root), 'val', regions='rows')


@pytest.mark.parametrize('text, match', [
    ('0 0.5 0.5 0.1 0.2 20 30 80 70 0 0 0 0 0 0\n',
     r'a.txt: line 1: 15 fields; a LeukemiaAttri row has 16 .* or 12'),
    ('0 0.5 0.5 0.1 0.2 20 30 80 70 0 0 0 0 0 0 0\n'
     '0 0.5 0.5 0.1 0.2 20 30 80 0 0 0 0 0 0 0\n', r'a.txt: line 2: 15 fields, expected 16'),
    ('0 0.5 0.5 0.1 0.2 20 30 80 70 0 0 0 0 0 0 0\n'
     '14 0.5 0.5 0.1 0.2 20 30 80 70 0 0 0 0 0 0 0\n', r'a.txt: line 2: class id 14 out of range'),
    ('0 0.5 0.5 0.1 0.2 20 30 80 70 0 0 0 0 3 0 0\n',
     r'a.txt: line 1: attribute cytoplasm is .3.; expected 0, 1 or unknown \(-1, 2\)'),
    ('0 0.5 0.5 0.1 0.2 20 30 80 70 0 0.5 0 0 0 0 0\n', r'line 1: attribute nuclear_chromatin'),
    ('0 0.5 0.5 0.1 0.2 80 30 20 70 0 0 0 0 0 0 0\n', r'a.txt: line 1: malformed region'),
    ('0 0.5 0.5 0.1 0.2 20 30 250 70 0 0 0 0 0 0 0\n',
     r'a.txt: line 1: region .* reaches 50 px outside the 200x100 image'),
    ('0 0.9 0.5 0.1 0.2 20 30 80 70 0 0 0 0 0 0 0\n',
     r"a.txt: line 1: the box centre \(180, 50\) px is not in the row's region"),
    ('0 0.5 0.5 0.1 0.2 nan 30 80 70 0 0 0 0 0 0 0\n', r'line 1: region coordinate is not'),
], ids=['fields', 'mixed-layouts', 'unknown-class', 'attribute-value', 'attribute-fraction',
        'region-x2<x1', 'region-outside', 'centre-outside-region', 'region-nan'])
def test_errors_name_file_and_line(tmp_path, text, match):
    root = _dataset(tmp_path / 'bad', 'train', {'a': text})
    with pytest.raises(YoloFormatError, match=match):
        leukemia_to_coco(str(root), 'train')


def test_region_checks(tmp_path):
    # a region file outside its image names the file and line
    root = _dataset(tmp_path / 'r', 'train', {'a': '0 0.5 0.5 0.1 0.2 0 0 0 0 0 0 0\n'},
                    regions={'a': '0 0 0.5 0.5\n0.5 0.5 1.2 1.0\n'})
    with pytest.raises(YoloFormatError, match=r'regions/train/a.txt: line 2: region .* 40 px'):
        leukemia_to_coco(str(root), 'train')
    # within the tolerance it is clipped; a centre 0.5 px off its region passes
    assert parse_region(['-0.5', '0', '200.5', '100'], W, H, 'x') == [0, 0, 200, 100]
    root = _dataset(tmp_path / 'm', 'train', {
        'a': '0 0.4025 0.5 0.1 0.2 0 0 80 100 0 0 0 0 0 0 0\n'})     # centre x 80.5
    assert leukemia_to_coco(str(root), 'train')['images'][0]['labeled_regions'] == [[0, 0, 80, 100]]
    root = _dataset(tmp_path / 'o', 'train', {
        'a': '0 0.45 0.5 0.1 0.2 0 0 80 100 0 0 0 0 0 0 0\n'})       # centre x 90
    assert len(leukemia_to_coco(str(root), 'train', check_membership=False)['annotations']) == 1
    assert parse_leukemia_attributes(['1', '0', '-1', '2', '1.0', '0', '1'], 'x') == \
        [1, 0, -1, -1, 1, 0, 1]
    with pytest.raises(YoloFormatError, match=r"x: attribute nucleus is '2'; expected 0, 1 or "
                                              r'unknown \(-1\)'):
        parse_leukemia_attributes(['1', '0', '0', '2', '1', '0', '1'], 'x', unknown_values=(-1, ))


def test_tool(tmp_path, monkeypatch, capsys):
    root = _dataset(tmp_path / 'tool', 'train', SPARSE)
    _dataset(root, 'test', {'t': '0 0.5 0.5 0.1 0.2 0 0 200 100 0 0 0 0 0 0 0\n'})
    script = str(REPO / 'tools/dataset_converters/leukemia2coco.py')
    for split, regions in (('train', 'auto'), ('test', 'none')):
        monkeypatch.setattr('sys.argv', ['leukemia2coco.py', str(root), '--splits', split,
                                          '--regions', regions])
        runpy.run_path(script, run_name='__main__')
    out = capsys.readouterr().out
    assert 'annotations/train.json: 3 images, 3 boxes' in out
    assert 'layout regions, regions from rows: 2 region(s); 2 image(s) with none known' in out
    assert 'regions from none: 0 region(s); 0 image(s) with none known, 1 labelled whole' in out
    test = json.loads((root / 'annotations/test.json').read_text())
    assert 'labeled_regions' not in test['images'][0]
