"""The VOC-layout -> COCO converter, on a small BCCD-like fixture written here,
and the degenerate / near-duplicate box review it shares with the YOLO converter."""
import json

import cv2
import numpy as np
import pytest

from plb_mm.datasets import (CheckedCocoDataset, PRESETS, VOCFormatError, format_report,
                             review_boxes, voc_to_coco)
from plb_mm.datasets.converters import box_iou

from ..conftest import run_tool

BCCD = PRESETS['bccd']['classes']


def _xml(objects, w=640, h=480):
    objs = ''.join(
        f'<object><name>{n}</name><difficult>{d}</difficult><bndbox><xmin>{b[0]}</xmin>'
        f'<ymin>{b[1]}</ymin><xmax>{b[2]}</xmax><ymax>{b[3]}</ymax></bndbox></object>'
        for n, b, d in objects)
    return (f'<annotation><filename>x.jpg</filename><size><width>{w}</width>'
            f'<height>{h}</height><depth>3</depth></size>{objs}</annotation>')


def _layout(root, images, split='train'):
    """images: {id: xml text}"""
    for d in ('Annotations', 'ImageSets/Main', 'JPEGImages'):
        (root / d).mkdir(parents=True, exist_ok=True)
    for img_id, xml in images.items():
        (root / 'Annotations' / f'{img_id}.xml').write_text(xml)
        cv2.imwrite(str(root / 'JPEGImages' / f'{img_id}.jpg'), np.zeros((480, 640, 3), np.uint8))
    (root / 'ImageSets/Main' / f'{split}.txt').write_text('\n'.join(images) + '\n')
    return root


def test_bccd_conversion(tmp_path):
    root = _layout(tmp_path / 'BCCD', {
        'BloodImage_00000': _xml([('WBC', (260, 177, 491, 376), 0), ('RBC', (78, 336, 184, 435), 0),
                                  ('Platelets', (1, 1, 20, 22), 1)]),
        'BloodImage_00001': _xml([('RBC', (68, 315, 286, 480), 0)]),
    })
    coco = voc_to_coco(str(root), 'train', BCCD, str(root / 'annotations/bccd_train.json'))
    assert [c['name'] for c in coco['categories']] == ['RBC', 'WBC', 'Platelets']
    assert [i['file_name'] for i in coco['images']] == ['JPEGImages/BloodImage_00000.jpg',
                                                        'JPEGImages/BloodImage_00001.jpg']
    a = coco['annotations']
    # VOC's 1-based inclusive (260, 177, 491, 376) -> x 259, y 176, w 232, h 200
    assert a[0]['bbox'] == [259, 176, 232, 200] and a[0]['category_id'] == 2
    assert a[0]['area'] == 232 * 200 and a[0]['iscrowd'] == 0
    assert a[2]['bbox'] == [0, 0, 20, 22] and a[2]['iscrowd'] == 1   # difficult
    assert a[3]['bbox'] == [67, 314, 219, 166] and a[3]['image_id'] == 2  # ymax = height
    assert coco['info']['summary'] == dict(split='train', images=2, boxes=4, difficult=1,
                                           clipped=0, degenerate=0, duplicates=0, dropped=0)
    assert coco['info']['issues'] == dict(degenerate=[], duplicates=[])
    ds = CheckedCocoDataset(data_root=str(root), ann_file='annotations/bccd_train.json',
                            data_prefix=dict(img=''), metainfo=dict(classes=BCCD), pipeline=[])
    assert len(ds) == 2 and len(ds.get_data_info(0)['instances']) == 3


@pytest.mark.parametrize('xml, match', [
    ('<annotation><size><width>640', r'BloodImage_00000\.xml: malformed XML'),
    (_xml([('Neutrophil', (1, 1, 10, 10), 0)]), r"BloodImage_00000\.xml: object 0 \(Neutrophil\): unknown class 'Neutrophil'"),
    (_xml([('RBC', (1, 1, 10, 10), 0), ('Platelet', (1, 1, 10, 10), 0)]),
     r"object 1 \(Platelet\): unknown class 'Platelet' \(did you mean 'Platelets'\?\)"),
    (_xml([('RBC', (1, 1, 10, 10), 'yes')]),
     r"object 0 \(RBC\): <difficult> is not a number: 'yes'"),
    (_xml([('RBC', (1, 1, 10, 10), 0), ('RBC', (600, 400, 660, 470), 0)]),
     r'BloodImage_00000\.xml: object 1 \(RBC\): box .* reaches 20 px outside the 640x480 image'),
    (_xml([('RBC', (10, 10, 8, 30), 0)]), r'object 0 \(RBC\): empty box'),
    (_xml([('RBC', (1, 1, 'ten', 10), 0)]), r"object 0 \(RBC\): <xmax> is not a number: 'ten'"),
    ('<annotation><object><name>RBC</name></object></annotation>', r'BloodImage_00000\.xml: missing <size>'),
])
def test_bad_xml_names_the_file(tmp_path, xml, match):
    root = _layout(tmp_path / 'BCCD', {'BloodImage_00000': xml})
    with pytest.raises(VOCFormatError, match=match):
        voc_to_coco(str(root), 'train', BCCD)


def test_missing_files_are_named(tmp_path):
    root = _layout(tmp_path / 'BCCD', {'BloodImage_00000': _xml([('RBC', (1, 1, 10, 10), 0)])})
    (root / 'JPEGImages/BloodImage_00000.jpg').unlink()
    with pytest.raises(FileNotFoundError, match=r'BloodImage_00000\.xml: image file .*BloodImage_00000\.jpg not found'):
        voc_to_coco(str(root), 'train', BCCD)
    (root / 'ImageSets/Main/train.txt').write_text('BloodImage_00009\n')
    with pytest.raises(FileNotFoundError, match=r"train\.txt: image 'BloodImage_00009'"):
        voc_to_coco(str(root), 'train', BCCD)
    with pytest.raises(FileNotFoundError, match=r'val\.txt: split list not found'):
        voc_to_coco(str(root), 'val', BCCD)
    (root / 'ImageSets/Main/train.txt').write_text('BloodImage_00000\n\nBloodImage_00000\n')
    with pytest.raises(VOCFormatError, match=r"train\.txt: line 3: image 'BloodImage_00000' is "
                                             r"listed again \(first on line 1\)"):
        voc_to_coco(str(root), 'train', BCCD)


def test_tolerance_and_clip(tmp_path):
    root = _layout(tmp_path / 'BCCD', {'BloodImage_00000': _xml([('RBC', (0, 5, 641, 30), 0)])})
    coco = voc_to_coco(str(root), 'train', BCCD)  # 1 px out on both sides: clipped
    assert coco['annotations'][0]['bbox'] == [0, 4, 640, 26]
    assert coco['info']['summary']['clipped'] == 1
    root = _layout(tmp_path / 'B2', {'BloodImage_00000': _xml([('RBC', (600, 5, 700, 30), 0)])})
    with pytest.raises(VOCFormatError):
        voc_to_coco(str(root), 'train', BCCD)
    assert voc_to_coco(str(root), 'train', BCCD, clip=True)['annotations'][0]['bbox'] == [599, 4, 41, 26]


def test_cli_preset(tmp_path):
    root = tmp_path / 'BCCD'
    for split in ('train', 'val', 'test'):
        _layout(root, {f'BloodImage_{split}': _xml([('Platelets', (5, 5, 20, 20), 0)])}, split)
    proc = run_tool('tools/dataset_converters/voc2coco.py', str(root), '--preset', 'bccd')
    for split in ('train', 'val', 'test'):
        data = json.loads((root / 'annotations' / f'bccd_{split}.json').read_text())
        assert data['images'][0]['file_name'] == f'JPEGImages/BloodImage_{split}.jpg'
        assert f'bccd_{split}.json: 1 images, 1 boxes' in proc.stdout


# BCCD's own defects: BloodImage_00343.xml has an RBC with xmin == xmax and
# ymin == ymax (a 1 x 1 px box once converted); BloodImage_00020.xml labels one
# RBC twice, the second box 2 px up and left of the first (IoU 0.93).
BCCD_DEFECTS = {
    'BloodImage_00343': _xml([('RBC', (484, 195, 613, 303), 0), ('RBC', (181, 329, 181, 329), 0),
                              ('Platelets', (70, 206, 118, 255), 0)]),
    'BloodImage_00020': _xml([('WBC', (260, 177, 491, 376), 0), ('RBC', (144, 366, 251, 473), 0),
                              ('RBC', (142, 364, 249, 471), 0),
                              ('Platelets', (143, 366, 250, 473), 0)]),
}


def test_degenerate_and_duplicates_are_kept_and_reported(tmp_path):
    root = _layout(tmp_path / 'BCCD', BCCD_DEFECTS)
    coco = voc_to_coco(str(root), 'train', BCCD)
    info = coco['info']
    assert len(coco['annotations']) == 7  # nothing dropped
    assert info['options'] == dict(tolerance=1.0, clip=False, min_size=2.0, dup_iou=0.8,
                                   drop_degenerate=False, drop_duplicates=False)
    assert info['summary'] == dict(split='train', images=2, boxes=7, difficult=0, clipped=0,
                                   degenerate=1, duplicates=1, dropped=0)
    assert info['issues']['degenerate'] == [dict(
        file='Annotations/BloodImage_00343.xml', object=1, image='JPEGImages/BloodImage_00343.jpg',
        **{'class': 'RBC'}, bbox=[180, 328, 1, 1], dropped=False)]
    # (143, 365, 251, 473) vs (141, 363, 249, 471): 106 x 106 / (2 * 108 x 108 - 106 x 106)
    iou = round(106 * 106 / (2 * 108 * 108 - 106 * 106), 3)
    assert iou == 0.929
    # the platelet box on the same cell is another class: not a duplicate
    assert info['issues']['duplicates'] == [dict(
        file='Annotations/BloodImage_00020.xml', object=2, image='JPEGImages/BloodImage_00020.jpg',
        **{'class': 'RBC'}, bbox=[141, 363, 108, 108], dropped=False, duplicate_of=1, iou=iou)]
    lines = format_report('out.json', info)
    assert lines[0] == 'out.json: 2 images, 7 boxes'
    assert lines[1:] == [
        '  1 degenerate box(es), a side under 2 px: kept (give --drop-degenerate to drop them)',
        '    Annotations/BloodImage_00343.xml object 1 (RBC): bbox [180, 328, 1, 1]',
        '  1 near-duplicate box(es), IoU > 0.8 with an earlier box of the same class: kept '
        '(give --drop-duplicates to drop them)',
        '    Annotations/BloodImage_00020.xml object 2 (RBC): IoU 0.929 with object 1, '
        'bbox [141, 363, 108, 108]']


@pytest.mark.parametrize('drop_degenerate, drop_duplicates', [(True, False), (False, True),
                                                              (True, True)])
def test_drop_options(tmp_path, drop_degenerate, drop_duplicates):
    root = _layout(tmp_path / 'BCCD', BCCD_DEFECTS)
    coco = voc_to_coco(str(root), 'train', BCCD, drop_degenerate=drop_degenerate,
                       drop_duplicates=drop_duplicates)
    boxes = [a['bbox'] for a in coco['annotations']]
    assert ([180, 328, 1, 1] in boxes) != drop_degenerate
    assert ([141, 363, 108, 108] in boxes) != drop_duplicates
    assert [143, 365, 108, 108] in boxes  # the first of the two stays
    assert len(boxes) == 7 - drop_degenerate - drop_duplicates
    assert [a['id'] for a in coco['annotations']] == list(range(1, len(boxes) + 1))
    issues, summary = coco['info']['issues'], coco['info']['summary']
    assert issues['degenerate'][0]['dropped'] == drop_degenerate
    assert issues['duplicates'][0]['dropped'] == drop_duplicates
    assert summary['dropped'] == drop_degenerate + drop_duplicates
    assert summary['boxes'] == len(boxes)


def test_thresholds(tmp_path):
    root = _layout(tmp_path / 'BCCD', BCCD_DEFECTS)
    summary = voc_to_coco(str(root), 'train', BCCD, min_size=0, dup_iou=0.95)['info']['summary']
    assert summary['degenerate'] == summary['duplicates'] == 0
    # the 49 x 50 px platelet of BloodImage_00343 is degenerate below 50 px, not below 49
    assert voc_to_coco(str(root), 'train', BCCD, min_size=49)['info']['summary']['degenerate'] == 1
    summary = voc_to_coco(str(root), 'train', BCCD, min_size=50)['info']['summary']
    assert summary['degenerate'] == 2


def test_three_boxes_on_one_cell(tmp_path):
    """A cell labelled three times gives two duplicates of its first box."""
    root = _layout(tmp_path / 'BCCD', {'BloodImage_00000': _xml([
        ('RBC', (101, 101, 200, 200), 0), ('RBC', (103, 103, 202, 202), 0),
        ('RBC', (99, 99, 198, 198), 0), ('RBC', (301, 101, 400, 200), 0)])})
    coco = voc_to_coco(str(root), 'train', BCCD, drop_duplicates=True)
    dups = coco['info']['issues']['duplicates']
    assert [(d['object'], d['duplicate_of']) for d in dups] == [(1, 0), (2, 0)]


def test_cli_reports_and_drops(tmp_path):
    root = _layout(tmp_path / 'BCCD', BCCD_DEFECTS)
    proc = run_tool('tools/dataset_converters/voc2coco.py', str(root), '--classes', *BCCD,
                    '--splits', 'train')
    assert 'train.json: 2 images, 7 boxes' in proc.stdout
    assert 'Annotations/BloodImage_00343.xml object 1 (RBC): bbox [180, 328, 1, 1]' in proc.stdout
    assert 'Annotations/BloodImage_00020.xml object 2 (RBC): IoU 0.929 with object 1' in proc.stdout
    assert 'kept (give --drop-degenerate to drop them)' in proc.stdout
    proc = run_tool('tools/dataset_converters/voc2coco.py', str(root), '--classes', *BCCD,
                    '--splits', 'train', '--drop-degenerate', '--drop-duplicates',
                    '--dup-iou', '0.9', '--min-size', '1.5')
    assert 'train.json: 2 images, 5 boxes' in proc.stdout
    assert 'a side under 1.5 px: dropped (--drop-degenerate)' in proc.stdout
    assert 'IoU > 0.9 with an earlier box of the same class: dropped (--drop-duplicates)' \
        in proc.stdout
    info = json.loads((root / 'annotations/voc_train.json').read_text())['info']
    assert info['options']['drop_degenerate'] and info['options']['dup_iou'] == 0.9
    assert info['summary']['dropped'] == 2


def test_box_iou_hand_worked():
    # two 10 x 10 boxes 2 px apart in x and y: 8 x 8 = 64 / (200 - 64)
    assert box_iou([0, 0, 10, 10], [2, 2, 12, 12]) == pytest.approx(64 / 136)
    assert box_iou([0, 0, 10, 10], [10, 0, 20, 10]) == 0  # touching
    assert box_iou([5, 5, 5, 5], [5, 5, 5, 5]) == 0  # empty union


def test_review_boxes():
    boxes = [[0, 0, 100, 100], [2, 2, 102, 102], [0, 0, 100, 100], [50, 50, 51, 90],
             [50, 50, 51, 90]]
    labels = ['a', 'a', 'b', 'a', 'a']
    r = review_boxes(boxes, labels)  # defaults: min_size 2, dup_iou 0.8, keep all
    assert r.degenerate == [3, 4] and r.keep == [True] * 5
    # 98 x 98 / (2e4 - 9604) = 0.9238; the class-b box on box 0 is no duplicate;
    # the second degenerate box repeats the first
    assert [(d.index, d.of, round(d.iou, 4)) for d in r.duplicates] == [(1, 0, 0.9238),
                                                                      (4, 3, 1.0)]
    r = review_boxes(boxes, labels, drop_degenerate=True)
    assert r.keep == [True, True, True, False, False] and len(r.duplicates) == 1
    r = review_boxes(boxes, labels, drop_duplicates=True)
    assert r.keep == [True, False, True, True, False]
    assert review_boxes([], []) == ([], [], [])
    assert review_boxes(boxes, labels, min_size=0, dup_iou=1).duplicates == []
