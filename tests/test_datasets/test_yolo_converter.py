"""The YOLO-txt (Ultralytics / Roboflow) -> COCO converter, on tiny data sets
written here: both folder layouts, data.yaml forms, and each error rule."""
import json

import pytest
from PIL import Image

from plb_mm.datasets import (CheckedCocoDataset, YoloFormatError, find_yolo_splits,
                             format_report, load_data_yaml, parse_yolo_row, yolo_to_coco)

from ..conftest import run_tool

NAMES = ['RBC', 'WBC', 'Platelets']
YAML = 'names: [RBC, WBC, Platelets]\nnc: 3\n'


def _dataset(root, splits, layout='ultralytics', data_yaml=YAML, size=(200, 100), ext='.jpg'):
    """splits: {split: {stem: label text, or None for no label file}}"""
    for split, items in splits.items():
        img_dir, lab_dir = ((root / 'images' / split, root / 'labels' / split)
                            if layout == 'ultralytics' else
                            (root / split / 'images', root / split / 'labels'))
        img_dir.mkdir(parents=True, exist_ok=True)
        lab_dir.mkdir(parents=True, exist_ok=True)
        for stem, text in items.items():
            Image.new('RGB', size, (200, 150, 160)).save(img_dir / f'{stem}{ext}')
            if text is not None:
                (lab_dir / f'{stem}.txt').write_text(text)
    if data_yaml is not None:
        (root / 'data.yaml').write_text(data_yaml)
    return root


def _label_file(root, split, stem):
    return root / 'images' / split / f'{stem}.jpg', root / 'labels' / split / f'{stem}.txt'


def test_ultralytics_layout(tmp_path):
    root = _dataset(tmp_path / 'cells', {
        'train': {'a': '0 0.5 0.5 0.2 0.4\n1 0.1 0.2 0.2 0.2\n', 'b': '2 0.75 0.5 0.1 0.2'},
        'val': {'c': '\n1 0.5 0.5 1.0 1.0\n\n'}})
    assert find_yolo_splits(str(root)) == ['train', 'val']
    coco = yolo_to_coco(str(root), 'train', out_file=str(root / 'annotations/train.json'))
    assert coco['categories'] == [dict(id=1, name='RBC'), dict(id=2, name='WBC'),
                                  dict(id=3, name='Platelets')]
    assert [(i['file_name'], i['width'], i['height']) for i in coco['images']] == [
        ('images/train/a.jpg', 200, 100), ('images/train/b.jpg', 200, 100)]
    a = coco['annotations']
    # 200 x 100 image: cx 0.5, cy 0.5, w 0.2, h 0.4 -> x 80, y 30, w 40, h 40
    assert (a[0]['bbox'], a[0]['category_id'], a[0]['area']) == ([80, 30, 40, 40], 1, 1600)
    assert (a[1]['bbox'], a[1]['category_id']) == ([0, 10, 40, 20], 2)
    assert (a[2]['bbox'], a[2]['image_id'], a[2]['category_id']) == ([140, 40, 20, 20], 2, 3)
    assert [x['id'] for x in a] == [1, 2, 3] and all(x['iscrowd'] == 0 for x in a)
    info = coco['info']
    assert info['source']['images'] == ['images/train'] and info['source']['labels'] == [
        'labels/train']
    assert info['source']['data_yaml'] == str(root / 'data.yaml')
    assert info['summary'] == dict(split='train', images=2, boxes=3, clipped=0, segments=0,
                                   background=0, unlabelled=0, orphan_labels=0, degenerate=0,
                                   duplicates=0, dropped=0)
    val = yolo_to_coco(str(root), 'val')
    assert val['annotations'][0]['bbox'] == [0, 0, 200, 100]  # blank lines skipped
    ds = CheckedCocoDataset(data_root=str(root), ann_file='annotations/train.json',
                            data_prefix=dict(img=''), metainfo=dict(classes=NAMES),
                            pipeline=[])
    assert len(ds) == 2 and len(ds.get_data_info(0)['instances']) == 2


def test_roboflow_layout(tmp_path):
    """Roboflow: <split>/images + <split>/labels, 'valid' for val, names as a
    mapping, split folders named in data.yaml as ../<split>/images."""
    yaml = ("train: ../train/images\nval: ../valid/images\ntest: ../test/images\n"
            "nc: 2\nnames:\n  1: WBC\n  0: RBC\n")
    root = _dataset(tmp_path / 'rf', {'train': {'x': '1 0.5 0.5 0.5 0.5'},
                                      'valid': {'y': '0 0.5 0.5 0.5 0.5'}},
                    layout='roboflow', data_yaml=yaml, ext='.png')
    assert load_data_yaml(str(root / 'data.yaml')).names == ['RBC', 'WBC']
    assert find_yolo_splits(str(root)) == ['train', 'val']  # no test folder
    val = yolo_to_coco(str(root), 'val')
    assert val['images'][0]['file_name'] == 'valid/images/y.png'
    assert val['annotations'][0]['category_id'] == 1
    assert [c['name'] for c in val['categories']] == ['RBC', 'WBC']
    # without data.yaml's entries, 'val' still finds valid/
    (root / 'data.yaml').write_text('names: [RBC, WBC]\n')
    assert yolo_to_coco(str(root), 'val')['info']['source']['images'] == ['valid/images']
    with pytest.raises(FileNotFoundError, match=r"split 'test' not found; looked for image "
                                                r"folders .*images/test, .*test/images"):
        yolo_to_coco(str(root), 'test')


def test_split_folders_named_in_data_yaml(tmp_path):
    """Ultralytics' coco128 style: path + train/val folders with other names."""
    yaml = 'path: .\ntrain: images/train2017\nval: images/train2017\nnames: {0: RBC}\n'
    root = _dataset(tmp_path / 'd', {'train2017': {'a': '0 0.5 0.5 0.2 0.2'}}, data_yaml=yaml)
    assert find_yolo_splits(str(root), load_data_yaml(str(root / 'data.yaml'))) == ['train', 'val']
    coco = yolo_to_coco(str(root), 'val')
    assert coco['images'][0]['file_name'] == 'images/train2017/a.jpg'
    assert coco['info']['source']['labels'] == ['labels/train2017']
    (root / 'data.yaml').write_text('train: train.txt\nnames: [RBC]\n')
    (root / 'train.txt').write_text('images/train2017/a.jpg\n')
    with pytest.raises(FileNotFoundError, match=r'train\.txt: image list files are not read'):
        yolo_to_coco(str(root), 'train')


def test_missing_labels_folder_and_classes(tmp_path):
    root = _dataset(tmp_path / 'd', {'train': {'a': '0 0.5 0.5 0.5 0.5'}}, data_yaml=None)
    with pytest.raises(FileNotFoundError, match=r'no data\.yaml; give the class names'):
        yolo_to_coco(str(root), 'train')
    assert len(yolo_to_coco(str(root), 'train', classes=NAMES)['annotations']) == 1
    (root / 'labels/train/a.txt').unlink()
    (root / 'labels/train').rmdir()
    with pytest.raises(FileNotFoundError, match=r'images/train: no labels folder beside it'):
        yolo_to_coco(str(root), 'train', classes=NAMES)


@pytest.mark.parametrize('row, match', [
    ('0 0.5 0.5 0.2', r'line 2: 4 field\(s\); a box row has 5'),
    ('0 0.5 0.5 0.2 0.2 0.93', r'line 2: 6 field\(s\).*is this a prediction file\?'),
    ('0 0.5 0.5 0.2 0.2 0.1 0.1 0.3', r'line 2: 8 field\(s\)'),
    ('0 0.5 abc 0.2 0.2', r"line 2: cy is not a number: 'abc'"),
    ('0 0.5 0.5 nan 0.2', r"line 2: w is not finite: 'nan'"),
    ('RBC 0.5 0.5 0.2 0.2', r"line 2: class id is not a number: 'RBC'"),
    ('1.5 0.5 0.5 0.2 0.2', r"line 2: class id '1.5' is not an integer"),
    ('3 0.5 0.5 0.2 0.2', r'line 2: class id 3 out of range: 3 class\(es\) are named \(ids 0..2\)'),
    ('-1 0.5 0.5 0.2 0.2', r'line 2: class id -1 out of range'),
    ('0 0.5 0.5 -0.2 0.2', r'line 2: negative width'),
])
def test_bad_rows_name_file_and_line(tmp_path, row, match):
    root = _dataset(tmp_path / 'd', {'train': {'a': f'0 0.5 0.5 0.2 0.2\n{row}\n'}})
    with pytest.raises(YoloFormatError, match=r'labels/train/a\.txt: ' + match):
        yolo_to_coco(str(root), 'train')


def test_class_id_written_as_float(tmp_path):
    root = _dataset(tmp_path / 'd', {'train': {'a': '2.0 0.5 0.5 0.2 0.2'}})
    assert yolo_to_coco(str(root), 'train')['annotations'][0]['category_id'] == 3


def test_box_outside_the_image(tmp_path):
    # 200 x 100: cx 0.95, w 0.2 -> x2 = 210, 10 px out
    root = _dataset(tmp_path / 'd', {'train': {'a': '0 0.5 0.5 0.2 0.2\n0 0.95 0.5 0.2 0.2\n'}})
    with pytest.raises(YoloFormatError, match=r'labels/train/a\.txt: line 2: box \(x1, y1, x2, '
                                              r'y2\) = \(170, 40, 210, 60\) px reaches 10 px '
                                              r'outside the 200x100 image .*a\.jpg \(clip=True'):
        yolo_to_coco(str(root), 'train')
    coco = yolo_to_coco(str(root), 'train', clip=True)
    assert coco['annotations'][1]['bbox'] == [170, 40, 30, 20]
    assert coco['info']['summary']['clipped'] == 1
    assert format_report('t.json', coco['info']) == [
        't.json: 1 images, 2 boxes (1 clipped to the image)']
    # within the 1 px tolerance: clipped without being asked (x2 = 200.5)
    _, label = _label_file(root, 'train', 'a')
    label.write_text('0 0.9025 0.5 0.2 0.2\n')
    coco = yolo_to_coco(str(root), 'train')
    assert coco['annotations'][0]['bbox'] == [160.5, 40, 39.5, 20]
    assert coco['info']['summary']['clipped'] == 1
    # a box on the border, its normalised coordinates rounded: clipped, not counted
    label.write_text('0 0.833334 0.5 0.333333 0.2\n')  # x2 = 200.0001
    coco = yolo_to_coco(str(root), 'train')
    assert coco['annotations'][0]['bbox'] == [133.3335, 40, 66.6665, 20]
    assert coco['info']['summary']['clipped'] == 0
    # pixel coordinates instead of normalised ones
    label.write_text('0 100 50 40 20\n')
    with pytest.raises(YoloFormatError, match=r'line 1: .*coordinates pixels rather than '
                                              r'normalised\?'):
        yolo_to_coco(str(root), 'train')
    # wholly outside, even when clipping
    label.write_text('0 1.5 0.5 0.2 0.2\n')
    with pytest.raises(YoloFormatError, match=r'line 1: box lies wholly outside the 200x100'):
        yolo_to_coco(str(root), 'train', clip=True)


def test_unlabelled_images_orphan_labels_background(tmp_path):
    root = _dataset(tmp_path / 'd', {'train': {'a': '0 0.5 0.5 0.2 0.2', 'b': None, 'c': ''}})
    (root / 'labels/train/ghost.txt').write_text('0 0.5 0.5 0.2 0.2\n')
    (root / 'labels/train/classes.txt').write_text('RBC\nWBC\nPlatelets\n')  # labelImg's
    (root / 'labels/train.cache').write_text('')  # Ultralytics' cache is not a label file
    coco = yolo_to_coco(str(root), 'train')
    assert [i['file_name'] for i in coco['images']] == ['images/train/a.jpg',
                                                        'images/train/b.jpg',
                                                        'images/train/c.jpg']
    assert len(coco['annotations']) == 1
    s, issues = coco['info']['summary'], coco['info']['issues']
    assert (s['unlabelled'], s['orphan_labels'], s['background']) == (1, 1, 1)
    assert issues['unlabelled'] == ['images/train/b.jpg']
    assert issues['orphan_labels'] == ['labels/train/ghost.txt']
    lines = format_report('train.json', coco['info'])
    assert lines == [
        'train.json: 3 images, 1 boxes (1 images with an empty label file)',
        '  1 image(s) without a label file, kept as background (no boxes):',
        '    images/train/b.jpg',
        '  1 label file(s) without an image, not converted:',
        '    labels/train/ghost.txt']


def test_degenerate_and_duplicates(tmp_path):
    """BCCD's defects in YOLO rows: a 1 x 1 px box and a cell labelled twice,
    2 px apart (IoU 0.9238)."""
    rows = ('0 0.5 0.5 0.5 0.8\n'   # x 50..150, y 10..90
            '0 0.51 0.52 0.5 0.8\n'  # x 52..152, y 12..92: IoU 98*78 / (2*8000 - 98*78)
            '1 0.5 0.5 0.5 0.8\n'   # another class on the same cell: no duplicate
            '2 0.2525 0.505 0.005 0.01\n')  # x 50..51, y 50..51 (centre 50.5)
    root = _dataset(tmp_path / 'd', {'train': {'a': rows}})
    coco = yolo_to_coco(str(root), 'train')
    assert len(coco['annotations']) == 4
    issues = coco['info']['issues']
    assert issues['degenerate'] == [dict(file='labels/train/a.txt', line=4,
                                         image='images/train/a.jpg', bbox=[50, 50, 1, 1],
                                         dropped=False, **{'class': 'Platelets'})]
    iou = round(98 * 78 / (2 * 8000 - 98 * 78), 3)
    assert issues['duplicates'] == [dict(file='labels/train/a.txt', line=2,
                                         image='images/train/a.jpg', bbox=[52, 12, 100, 80],
                                         dropped=False, duplicate_of=1, iou=iou,
                                         **{'class': 'RBC'})]
    lines = format_report('t.json', coco['info'])
    assert '    labels/train/a.txt line 4 (Platelets): bbox [50, 50, 1, 1]' in lines
    assert (f'    labels/train/a.txt line 2 (RBC): IoU {iou:.3f} with line 1, '
            f'bbox [52, 12, 100, 80]') in lines
    coco = yolo_to_coco(str(root), 'train', drop_degenerate=True, drop_duplicates=True)
    assert [a['bbox'] for a in coco['annotations']] == [[50, 10, 100, 80], [50, 10, 100, 80]]
    assert coco['info']['summary']['dropped'] == 2
    assert all(r['dropped'] for r in coco['info']['issues']['degenerate'] +
               coco['info']['issues']['duplicates'])


def test_zero_area_box_needs_drop_degenerate(tmp_path):
    root = _dataset(tmp_path / 'd', {'train': {'a': '0 0.5 0.5 0.2 0.2\n0 0.5 0.5 0 0.2\n'}})
    with pytest.raises(YoloFormatError, match=r'labels/train/a\.txt: line 2: zero-area box '
                                              r'\(0 x 20 px\).*--drop-degenerate'):
        yolo_to_coco(str(root), 'train')
    with pytest.raises(YoloFormatError, match=r'line 2: zero-area box'):
        yolo_to_coco(str(root), 'train', min_size=0, drop_degenerate=True)
    coco = yolo_to_coco(str(root), 'train', drop_degenerate=True)
    assert len(coco['annotations']) == 1 and coco['info']['issues']['degenerate'][0]['line'] == 2


def test_polygon_rows_become_their_box(tmp_path):
    root = _dataset(tmp_path / 'd', {'train': {'a': '1 0.1 0.2 0.3 0.2 0.3 0.6 0.1 0.6\n'
                                                    '0 0.5 0.5 0.2 0.2\n'}})
    coco = yolo_to_coco(str(root), 'train')
    assert coco['annotations'][0]['bbox'] == [20, 20, 40, 40]
    assert coco['annotations'][0]['category_id'] == 2
    assert coco['info']['summary']['segments'] == 1
    assert format_report('t.json', coco['info']) == [
        't.json: 1 images, 2 boxes (1 polygon rows -> their box)']
    row = parse_yolo_row('1 0.1 0.2 0.3 0.2 0.3 0.6'.split(), 3, 'x.txt', 7)
    assert row.line == 7 and row.polygon == (0.1, 0.2, 0.3, 0.2, 0.3, 0.6)
    assert row.box == pytest.approx((0.2, 0.4, 0.2, 0.4))


@pytest.mark.parametrize('text, match', [
    ('names: [a, b]\nnc: 3\n', r'nc: 3 but 2 names'),
    ('names: {0: a, 2: b}\n', r'names: ids must be 0..1 without gaps, got \[0, 2\]'),
    ('names: [a, b, a]\n', r"class name 'a' is given twice \(ids 0 and 2\)"),
    ('names: [a, b\nnc: 2\n', r'not valid YAML at line \d+'),
    ('train: images/train\n', r'no names: \(and no nc:\)'),
    ('- a\n- b\n', r'expected a mapping'),
])
def test_bad_data_yaml(tmp_path, text, match):
    path = tmp_path / 'data.yaml'
    path.write_text(text)
    with pytest.raises(YoloFormatError, match=r'data\.yaml: ' + match):
        load_data_yaml(str(path))


def test_data_yaml_nc_only(tmp_path):
    path = tmp_path / 'data.yaml'
    path.write_text('nc: 2\n')
    assert load_data_yaml(str(path)).names == ['class_0', 'class_1']


def test_images_sharing_a_label_file(tmp_path):
    root = _dataset(tmp_path / 'd', {'train': {'a': '0 0.5 0.5 0.2 0.2'}})
    Image.new('RGB', (200, 100)).save(root / 'images/train/a.png')
    with pytest.raises(YoloFormatError, match=r'a\.png: shares its label file .*a\.txt with '
                                              r'.*a\.jpg'):
        yolo_to_coco(str(root), 'train')


def test_unreadable_image_is_named(tmp_path):
    root = _dataset(tmp_path / 'd', {'train': {'a': '0 0.5 0.5 0.2 0.2'}})
    (root / 'images/train/a.jpg').write_bytes(b'not an image')
    with pytest.raises(YoloFormatError, match=r'images/train/a\.jpg: not an image'):
        yolo_to_coco(str(root), 'train')


def test_exif_orientation_swaps_the_size(tmp_path):
    """A phone photo stored 200 x 100 with EXIF orientation 6 is loaded (cv2,
    Ultralytics) upright as 100 x 200; the labels are relative to that."""
    root = _dataset(tmp_path / 'd', {'train': {'a': '0 0.5 0.5 0.2 0.1'}})
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.new('RGB', (200, 100)).save(root / 'images/train/a.jpg', exif=exif)
    coco = yolo_to_coco(str(root), 'train')
    assert (coco['images'][0]['width'], coco['images'][0]['height']) == (100, 200)
    assert coco['annotations'][0]['bbox'] == [40, 90, 20, 20]


def test_extra_columns_hook(tmp_path):
    """How a reader of a richer row (LeukemiaAttri: box + region + attributes)
    builds on the converter: num_extra fields reach extra_to_ann."""
    root = _dataset(tmp_path / 'd', {'train': {'a': '0 0.5 0.5 0.2 0.2 1 0 1\n'}})

    def attributes(row, label_file, image):
        if set(row.extra) - {'0', '1'}:
            raise YoloFormatError(f'{label_file}: line {row.line}: attributes must be 0 or 1')
        return dict(attributes=[int(v) for v in row.extra])

    coco = yolo_to_coco(str(root), 'train', num_extra=3, extra_to_ann=attributes)
    assert coco['annotations'][0]['attributes'] == [1, 0, 1]
    assert coco['annotations'][0]['bbox'] == [80, 40, 40, 20]
    _, label = _label_file(root, 'train', 'a')
    label.write_text('0 0.5 0.5 0.2 0.2 1 0\n')
    with pytest.raises(YoloFormatError, match=r'a\.txt: line 1: 7 fields, expected 8 \(class cx '
                                              r'cy w h and 3 more\)'):
        yolo_to_coco(str(root), 'train', num_extra=3, extra_to_ann=attributes)
    label.write_text('0 0.5 0.5 0.2 0.2 1 0 2\n')
    with pytest.raises(YoloFormatError, match=r'a\.txt: line 1: attributes must be 0 or 1'):
        yolo_to_coco(str(root), 'train', num_extra=3, extra_to_ann=attributes)


def test_cli(tmp_path):
    yaml = 'train: ../train/images\nval: ../valid/images\nnames: [RBC, WBC, Platelets]\n'
    # 200 x 100 px: the second box is the first 1 px right and down (IoU 0.863)
    root = _dataset(tmp_path / 'rf', {'train': {'a': '0 0.5 0.5 0.2 0.2\n0 0.505 0.51 0.2 0.2\n',
                                                'b': None},
                                      'valid': {'c': '2 0.5 0.5 0.1 0.1'}},
                    layout='roboflow', data_yaml=yaml)
    proc = run_tool('tools/dataset_converters/yolo2coco.py', str(root))
    train = json.loads((root / 'annotations/train.json').read_text())
    val = json.loads((root / 'annotations/val.json').read_text())
    assert len(train['annotations']) == 2 and len(val['annotations']) == 1
    assert 'annotations/train.json: 2 images, 2 boxes' in proc.stdout
    assert 'train/labels/a.txt line 2 (RBC): IoU 0.863 with line 1' in proc.stdout
    assert '1 image(s) without a label file, kept as background' in proc.stdout
    assert 'annotations/val.json: 1 images, 1 boxes' in proc.stdout
    proc = run_tool('tools/dataset_converters/yolo2coco.py', str(root), '--splits', 'train',
                    '--drop-duplicates', '--out-dir', str(tmp_path / 'out'), '--prefix', 'rf_')
    assert 'dropped (--drop-duplicates)' in proc.stdout
    train = json.loads((tmp_path / 'out/rf_train.json').read_text())
    assert len(train['annotations']) == 1
    assert not (tmp_path / 'out/rf_val.json').exists()
    proc = run_tool('tools/dataset_converters/yolo2coco.py', str(tmp_path / 'none'), check=False)
    assert proc.returncode == 2 and 'give --data or --classes' in proc.stderr
