"""The MITOS-ATYPIA-14 and Ki-67 point readers, on tiny data sets written
here: the layouts, the boxes, what is counted and listed, and each error."""
import json

import pytest
from PIL import Image

from plb_mm.datasets import CheckedCocoDataset
from plb_mm.datasets.converters import (PointFormatError, find_mitos_frames, format_point_report,
                                        ki67_to_coco, mitos_to_coco)


def _image(path, size=(100, 80)):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new('RGB', size, (220, 180, 200)).save(path)


def _text(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def _mitos(root):
    """Two slides, A03 (release-style nesting A03/A03/) and H10:
    A03_00Aa: two mitoses and one look-alike; A03_00Ab: no CSV at all;
    H10_01Ba: empty CSVs (no mitosis); an orphan CSV for a missing frame."""
    a03 = root / 'A03' / 'A03'
    _image(a03 / 'frames/x40/A03_00Aa.tiff')
    _image(a03 / 'frames/x40/A03_00Ab.tiff')
    _image(a03 / 'frames/x20/A03_00A.tiff')  # another magnification: not read
    _text(a03 / 'mitosis/A03_00Aa_mitosis.csv', '50,40,1\n5,70,0.6\n')
    _text(a03 / 'mitosis/A03_00Aa_not_mitosis.csv', '20,20,0.2\n')
    _text(a03 / 'mitosis/A03_00Zz_mitosis.csv', '1,1,1\n')
    h10 = root / 'H10'
    _image(h10 / 'frames/x40/H10_01Ba.tiff')
    _text(h10 / 'mitosis/H10_01Ba_mitosis.csv', '')
    _text(h10 / 'mitosis/H10_01Ba_not_mitosis.csv', '')
    return root


def test_mitos_layout_boxes_and_report(tmp_path):
    root = _mitos(tmp_path / 'mitos')
    assert [p for _, _, p in find_mitos_frames(str(root))] == ['A03', 'H10']
    out = tmp_path / 'ann/mitos.json'
    coco = mitos_to_coco(str(root), str(out))
    assert json.loads(out.read_text()) == coco
    assert coco['categories'] == [dict(id=1, name='mitosis')]
    assert [(i['file_name'], i['width'], i['height'], i['patient']) for i in coco['images']] == [
        ('A03/A03/frames/x40/A03_00Aa.tiff', 100, 80, 'A03'),
        ('A03/A03/frames/x40/A03_00Ab.tiff', 100, 80, 'A03'),
        ('H10/frames/x40/H10_01Ba.tiff', 100, 80, 'H10')]
    a = coco['annotations']
    # 100 x 80 frame, 32 px boxes: (50, 40) -> [34, 24, 32, 32]; (5, 70) -> x 0..21, y 54..80
    assert [(x['bbox'], x['area'], x['point'], x['confidence']) for x in a] == [
        ([34, 24, 32, 32], 1024, [50, 40], 1.0), ([0, 54, 21, 26], 546, [5, 70], 0.6)]
    assert all(x['image_id'] == 1 and x['category_id'] == 1 and x['iscrowd'] == 0 for x in a)
    info = coco['info']
    s = info['summary']
    assert (s['images'], s['boxes'], s['clipped'], s['background'], s['unlabelled'],
            s['orphan_labels'], s['not_mitosis_skipped'], s['not_mitosis_missing'],
            s['outside']) == (3, 2, 1, 1, 1, 1, 1, 0, 0)
    assert info['issues']['unlabelled'] == ['A03/A03/frames/x40/A03_00Ab.tiff']
    assert info['issues']['orphan_labels'] == ['A03/A03/mitosis/A03_00Zz_mitosis.csv']
    assert info['source']['format'] == 'mitos-atypia-14' and info['options']['box_size'] == 32
    report = '\n'.join(format_point_report(str(out), info))
    assert f'{out}: 3 images, 2 boxes (1 clipped to the image, 1 images with an empty' in report
    assert '1 image(s) without a label file, kept as background' in report
    assert 'A03/A03/mitosis/A03_00Zz_mitosis.csv' in report


def test_mitos_not_mitosis_class_confidence_and_box_size(tmp_path):
    root = _mitos(tmp_path / 'mitos')
    (root / 'H10/mitosis/H10_01Ba_not_mitosis.csv').unlink()
    coco = mitos_to_coco(str(root), not_mitosis=True, min_confidence=0.5, box_size=10)
    assert [c['name'] for c in coco['categories']] == ['mitosis', 'not_mitosis']
    # the 0.6 and 1.0 mitoses stay, the 0.2 look-alike is below 0.5
    assert [(x['point'], x['category_id'], x['bbox']) for x in coco['annotations']] == [
        ([50, 40], 1, [45, 35, 10, 10]), ([5, 70], 1, [0, 65, 10, 10])]
    s = coco['info']['summary']
    assert (s['below_min_confidence'], s['not_mitosis_missing']) == (1, 1)
    assert coco['info']['issues']['not_mitosis_missing'] == [
        'H10/mitosis/H10_01Ba_not_mitosis.csv']
    both = mitos_to_coco(str(root), not_mitosis=True)
    assert [x['category_id'] for x in both['annotations']] == [1, 1, 2]


@pytest.mark.parametrize('text, line, match', [
    ('50,40,1\n60;30;1\n', 2, r'1 field\(s\), expected 3 \(x,y,confidence\)'),
    ('50,40\n', 1, r'2 field\(s\), expected 3'),
    ('50,40,1\n\n60,30,high\n', 3, "confidence is not a number: 'high'"),
    ('50,40,1\n-30,40,1\n', 2, r'point \(-30, 40\) lies 16 px or more outside'),
])
def test_mitos_bad_rows_name_the_csv_and_line(tmp_path, text, line, match):
    root = _mitos(tmp_path / 'mitos')
    csv = root / 'A03/A03/mitosis/A03_00Aa_mitosis.csv'
    csv.write_text(text)
    with pytest.raises(PointFormatError, match=f'{csv}: line {line}: {match}'):
        mitos_to_coco(str(root))


def test_mitos_duplicates_outside_points_and_missing_layout(tmp_path):
    root = _mitos(tmp_path / 'mitos')
    # the same mitosis clicked twice 1 px apart (IoU 0.94), one point 4 px left of the frame
    (root / 'A03/A03/mitosis/A03_00Aa_mitosis.csv').write_text('50,40,1\n51,40,1\n-4,10,1\n')
    coco = mitos_to_coco(str(root))
    s, issues = coco['info']['summary'], coco['info']['issues']
    assert (s['boxes'], s['duplicates'], s['dropped'], s['outside']) == (3, 1, 0, 1)
    assert issues['duplicates'][0]['line'] == 2 and issues['duplicates'][0]['duplicate_of'] == 1
    assert issues['outside'] == [dict(file='A03/A03/mitosis/A03_00Aa_mitosis.csv', line=3,
                                      image='A03/A03/frames/x40/A03_00Aa.tiff', point=[-4, 10])]
    assert coco['annotations'][2]['bbox'] == [0, 0, 12, 26]
    report = '\n'.join(format_point_report('out.json', coco['info']))
    assert 'A03/A03/mitosis/A03_00Aa_mitosis.csv line 3: (-4, 10) in' in report
    dropped = mitos_to_coco(str(root), drop_duplicates=True)
    assert [x['point'] for x in dropped['annotations']] == [[50, 40], [-4, 10]]
    with pytest.raises(FileNotFoundError, match='no frames/x20b folder found'):
        mitos_to_coco(str(root), magnification='x20b')


def _ki67(root):
    _image(root / 'images/a.png', (120, 60))
    _image(root / 'images/sub/b.jpg', (120, 60))
    _image(root / 'images/c.png', (120, 60))  # no point file
    _text(root / 'labels/a.csv', 'x,y,class\n10,10,positive\n60,30,negative\n')
    _text(root / 'labels/sub/b.txt', '110 55 positive\n')
    _text(root / 'labels/d.csv', '1,1,positive\n')  # no image
    return root


def test_ki67_layout_classes_and_dataset(tmp_path):
    root = _ki67(tmp_path / 'ki67')
    out = root / 'annotations/ki67.json'
    coco = ki67_to_coco(str(root), ['positive', 'negative'], str(out))
    assert [(i['id'], i['file_name']) for i in coco['images']] == [
        (1, 'images/a.png'), (2, 'images/c.png'), (3, 'images/sub/b.jpg')]
    # 120 x 60: (10, 10) -> [0, 0, 26, 26]; (60, 30) -> [44, 14, 32, 32];
    # (110, 55) -> x 94..120, y 39..60
    assert [(x['image_id'], x['category_id'], x['bbox']) for x in coco['annotations']] == [
        (1, 1, [0, 0, 26, 26]), (1, 2, [44, 14, 32, 32]), (3, 1, [94, 39, 26, 21])]
    s = coco['info']['summary']
    assert (s['images'], s['boxes'], s['clipped'], s['unlabelled'], s['orphan_labels']) == (
        3, 3, 2, 1, 1)
    assert coco['info']['issues']['orphan_labels'] == ['labels/d.csv']
    ds = CheckedCocoDataset(data_root=str(root), ann_file='annotations/ki67.json',
                            data_prefix=dict(img=''),
                            metainfo=dict(classes=('positive', 'negative')), pipeline=[])
    assert len(ds.get_data_info(0)['instances']) == 2


def test_ki67_single_class_rows_without_class(tmp_path):
    root = tmp_path / 'k'
    _image(root / 'images/a.png')
    _text(root / 'labels/a.csv', '50,40\n50,40,tumor\n')
    coco = ki67_to_coco(str(root))
    assert [c['name'] for c in coco['categories']] == ['tumor']
    assert [x['bbox'] for x in coco['annotations']] == [[34, 24, 32, 32]] * 2


@pytest.mark.parametrize('text, classes, line, match', [
    ('10,10,positive\n10,10,stroma\n', ('positive', 'negative'), 2,
     r"class 'stroma' is not one of \['positive', 'negative'\]"),
    ('10,10\n', ('positive', 'negative'), 1, r'the row has no class \(x,y\) but 2 classes'),
    ('10,10,tumor,0.9\n', ('tumor', ), 1, r'4 field\(s\), expected 2 to 3 \(x,y\[,class\]\)'),
    ('x,y\n10,ten\n', ('tumor', ), 2, "y is not a number: 'ten'"),
])
def test_ki67_bad_rows_name_the_file_and_line(tmp_path, text, classes, line, match):
    root = tmp_path / 'k'
    _image(root / 'images/a.png')
    _text(root / 'labels/a.csv', text)
    with pytest.raises(PointFormatError, match=f"{root / 'labels/a.csv'}: line {line}: {match}"):
        ki67_to_coco(str(root), classes)


def test_ki67_two_point_files_and_missing_folder(tmp_path):
    root = tmp_path / 'k'
    _image(root / 'images/a.png')
    _text(root / 'labels/a.csv', '1,1\n')
    _text(root / 'labels/a.txt', '1 1\n')
    with pytest.raises(PointFormatError, match='a.png: two point files'):
        ki67_to_coco(str(root))
    with pytest.raises(FileNotFoundError, match='points: point folder not found'):
        ki67_to_coco(str(root), labels='points')
