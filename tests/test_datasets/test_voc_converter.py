"""The VOC-layout -> COCO converter, on a small BCCD-like fixture written here."""
import json

import cv2
import numpy as np
import pytest

from plb_mm.datasets import CheckedCocoDataset, PRESETS, VOCFormatError, voc_to_coco

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
                                           clipped=0)
    ds = CheckedCocoDataset(data_root=str(root), ann_file='annotations/bccd_train.json',
                            data_prefix=dict(img=''), metainfo=dict(classes=BCCD), pipeline=[])
    assert len(ds) == 2 and len(ds.get_data_info(0)['instances']) == 3


@pytest.mark.parametrize('xml, match', [
    ('<annotation><size><width>640', r'BloodImage_00000\.xml: malformed XML'),
    (_xml([('Neutrophil', (1, 1, 10, 10), 0)]), r"BloodImage_00000\.xml: object 0 \(Neutrophil\): unknown class 'Neutrophil'"),
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
