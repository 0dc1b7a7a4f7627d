"""DeepLesion DL_info.csv -> COCO on a fixture CSV written here, the 16-bit
windowing and LoadDeepLesionSlice."""
import json
import runpy
import sys

import cv2
import numpy as np
import pytest
from mmengine.registry import init_default_scope

from plb_mm.datasets import (CheckedCocoDataset, DEEPLESION_CLASSES, DeepLesionFormatError,
                             LoadDeepLesionSlice, deeplesion_to_coco, read_dl_info, window_slice)
from plb_mm.datasets.converters.deeplesion import format_deeplesion_report, key_slice_path

from ..conftest import REPO

HEADER = ('File_name,Patient_index,Study_index,Series_ID,Key_slice_index,'
          'Measurement_coordinates,Bounding_boxes,Lesion_diameters_Pixel_,'
          'Normalized_lesion_location,Coarse_lesion_type,Possibly_noisy,Slice_range,'
          'Spacing_mm_px_,Image_size,DICOM_windows,Patient_gender,Patient_age,Train_Val_Test')


def row(name, box, lesion_type, split, size='64, 64', window='-175, 275', noisy=0):
    patient, study, series, slice_ = (int(p) for p in name[:-4].split('_'))
    return (f'{name},{patient},{study},{series},{slice_},"1, 2, 3, 4, 5, 6, 7, 8",'
            f'"{box}","11.9, 5.1","0.44, 0.21, 0.62",{lesion_type},{noisy},'
            f'"{slice_ - 3}, {slice_ + 3}","0.8, 0.8, 5","{size}","{window}",F,62,{split}')


# line 2: train, type -1 (all training lesions are);  lines 3-5: one val slice
# with a lung and a liver lesion and an untyped one; line 6: a test slice
ROWS = [
    row('000001_01_01_109.png', '10, 12, 30, 40', -1, 1),
    row('000002_01_02_008.png', '11, 21, 31, 41', 5, 2, noisy=1),
    row('000002_01_02_008.png', '41, 5, 60, 20', 4, 2),
    row('000002_01_02_008.png', '2, 44, 12, 60', -1, 2),
    row('000003_02_01_050.png', '1.5, 2.5, 64, 64', 1, 3, window='-1350, 150'),
]


def write_fixture(root, rows=ROWS, header=HEADER, images=True):
    root.mkdir(parents=True, exist_ok=True)
    (root / 'DL_info.csv').write_text('\n'.join([header, *rows]) + '\n')
    if images:
        for r in rows:
            name = r.split(',')[0]
            path = root / key_slice_path(name, int(name[-7:-4]))
            path.parent.mkdir(parents=True, exist_ok=True)
            cv2.imwrite(str(path), np.full((64, 64), 32768, np.uint16))  # 0 HU
    return root


def test_typed_conversion_official_split(tmp_path):
    root = write_fixture(tmp_path / 'DeepLesion')
    out = deeplesion_to_coco(str(root), out_dir=str(root / 'annotations'))
    assert list(out) == ['train', 'val', 'test']
    # train: its only lesion has type -1 -> no image, not written
    train = out['train']['info']
    assert train['out_file'] is None and not (root / 'annotations/deeplesion_train.json').exists()
    assert train['summary']['unknown_type'] == 1 and train['summary']['unknown_type_images'] == 1
    val = json.loads((root / 'annotations/deeplesion_val.json').read_text())
    assert [c['name'] for c in val['categories']] == list(DEEPLESION_CLASSES)
    img, = val['images']
    assert img['file_name'] == 'Images_png/000002_01_02/008.png'
    assert (img['width'], img['height'], img['patient'], img['study'], img['series'],
            img['key_slice']) == (64, 64, 2, 1, 2, 8)
    assert img['dicom_window'] == [-175, 275] and img['spacing'] == [0.8, 0.8, 5]
    lung, liver = val['annotations']
    # 1-based inclusive (11, 21, 31, 41) -> x 10, y 20, w 21, h 21
    assert lung['bbox'] == [10, 20, 21, 21] and lung['area'] == 21 * 21
    assert lung['category_id'] == 5 and lung['lesion_type'] == 5 and lung['line'] == 3
    assert lung['possibly_noisy'] == 1 and liver['possibly_noisy'] == 0
    assert liver['bbox'] == [40, 4, 20, 16] and liver['category_id'] == 4
    s = val['info']['summary']
    assert (s['images'], s['boxes'], s['unknown_type'], s['unknown_type_images'],
            s['mixed_images'], s['noisy']) == (1, 2, 1, 0, 1, 1)
    assert s['per_class']['lung'] == 1 and s['per_class']['liver'] == 1
    assert val['info']['issues']['mixed_images'] == ['Images_png/000002_01_02/008.png']
    test = out['test']
    assert test['annotations'][0]['bbox'] == [0.5, 1.5, 63.5, 62.5]  # reaches the edge: kept
    assert test['images'][0]['dicom_window'] == [-1350, 150]
    init_default_scope('mmdet')
    ds = CheckedCocoDataset(data_root=str(root), ann_file='annotations/deeplesion_val.json',
                            data_prefix=dict(img=''), metainfo=dict(classes=DEEPLESION_CLASSES),
                            pipeline=[dict(type='LoadDeepLesionSlice'),
                                      dict(type='LoadAnnotations', with_bbox=True)])
    item = ds[0]
    assert item['img'].shape == (64, 64, 3) and item['img'].dtype == np.uint8
    assert item['img'][0, 0].tolist() == [64] * 3     # 0 HU: 1024 * 255 / 4095 = 63.77
    assert item['gt_bboxes_labels'].tolist() == [4, 3]  # lung, liver (0-based labels)


def test_class_agnostic_and_merged(tmp_path):
    root = write_fixture(tmp_path / 'DeepLesion')
    agn = deeplesion_to_coco(str(root), out_dir=str(root / 'ann'), class_agnostic=True)
    assert [c['name'] for c in agn['train']['categories']] == ['lesion']
    assert [len(agn[s]['annotations']) for s in ('train', 'val', 'test')] == [1, 3, 1]
    assert (root / 'ann/deeplesion_lesion_train.json').exists()
    assert agn['val']['info']['summary']['unknown_type'] == 0
    merged = deeplesion_to_coco(str(root), out_dir=str(root / 'ann'), merge_splits=True)
    assert list(merged) == ['all']
    assert [(i['file_name'], i['official_split']) for i in merged['all']['images']] == [
        ('Images_png/000002_01_02/008.png', 'val'), ('Images_png/000003_02_01/050.png', 'test')]
    assert merged['all']['info']['summary']['unknown_type'] == 2
    assert (root / 'ann/deeplesion_all.json').exists()


@pytest.mark.parametrize('rows, match', [
    ([ROWS[1].replace(',F,62,', ',F,')], r'DL_info\.csv: line 2: 17 fields, the header has 18'),
    ([ROWS[4], ROWS[1].replace('"11, 21, 31, 41"', '"11, 21, 31, x"')],
     r"DL_info\.csv: line 3: Bounding_boxes '11, 21, 31, x' is not 4 number"),
    ([ROWS[1].replace('"11, 21, 31, 41"', '"11, 21, 31"')], r'line 2: Bounding_boxes .* 4 number'),
    ([ROWS[1].replace('"11, 21, 31, 41"', '"31, 21, 11, 41"')], r'line 2: .* is inverted'),
    ([ROWS[1].replace('"11, 21, 31, 41"', '"11, 21, 31, 70"')],
     r'DL_info\.csv: line 2: box .* reaches 6 px outside the 64x64 image 000002_01_02_008\.png'),
    ([ROWS[1].replace(',5,1,', ',9,1,')], r'line 2: Coarse_lesion_type 9 is not -1 or 1\.\.8'),
    ([ROWS[1][:-1] + '4'], r'line 2: Train_Val_Test 4 is not 1, 2 or 3'),
    ([ROWS[1].replace(',8,"1, 2', ',9,"1, 2')], r"line 2: File_name '000002_01_02_008.png' "
                                                  r'names slice 8, Key_slice_index is 9'),
    ([ROWS[1], ROWS[2].replace('"64, 64"', '"512, 512"')],
     r'line 3: 000002_01_02_008\.png has Image_size \(512, 512\), line 2 gives \(64, 64\)'),
])
def test_malformed_rows_name_the_file_and_line(tmp_path, rows, match):
    root = write_fixture(tmp_path / 'DL', rows, images=False)
    with pytest.raises(DeepLesionFormatError, match=match):
        deeplesion_to_coco(str(root), check_images=False)


def test_header_without_a_needed_column(tmp_path):
    root = write_fixture(tmp_path / 'DL', [], header=HEADER.replace('Bounding_boxes', 'Boxes'),
                         images=False)
    with pytest.raises(DeepLesionFormatError, match=r"line 1: header lacks \['Bounding_boxes'\]"):
        read_dl_info(str(root / 'DL_info.csv'))


def test_clip_and_missing_slices(tmp_path):
    rows = [ROWS[1].replace('"11, 21, 31, 41"', '"11, 21, 31, 70"'), ROWS[4]]
    root = write_fixture(tmp_path / 'DL', rows)
    clipped = deeplesion_to_coco(str(root), clip=True)['val']
    assert clipped['annotations'][0]['bbox'] == [10, 20, 21, 44]
    assert clipped['info']['summary']['clipped'] == 1
    (root / 'Images_png/000003_02_01/050.png').unlink()
    with pytest.raises(FileNotFoundError, match=r'line 3: key slice .*050\.png not found'):
        deeplesion_to_coco(str(root), clip=True)
    out = deeplesion_to_coco(str(root), clip=True, skip_missing=True)
    assert out['test']['images'] == []
    assert out['test']['info']['issues']['missing_images'] == ['Images_png/000003_02_01/050.png']
    assert format_deeplesion_report('test', out['test']['info']) == [
        'test: no image left, not written (1 image(s) without their key slice)']
    assert format_deeplesion_report('val', out['val']['info'])[:3] == [
        'val (not written): 1 images, 1 boxes (1 clipped to the image)',
        '  per class: bone 0, abdomen 0, mediastinum 0, liver 0, lung 1, kidney 0, '
        'soft_tissue 0, pelvis 0', '  1 box(es) marked Possibly_noisy (kept; annotation field '
        'possibly_noisy)']


def test_window_slice_hand_worked():
    hu = np.array([-2000, -1024, 0, 1024, 3071, 4000])
    assert window_slice((hu + 32768).astype(np.uint16)).tolist() == [0, 0, 64, 128, 255, 255]
    # a soft-tissue window: -175 -> 0, 275 -> 255, 50 -> 225 * 255 / 450 = 127.5 -> 128
    assert window_slice(np.array([32593, 32818, 33043], np.uint16), (-175, 275)).tolist() \
        == [0, 128, 255]
    with pytest.raises(ValueError, match='low < high'):
        window_slice(np.zeros(2, np.uint16), (10, 10))


def test_load_deeplesion_slice(tmp_path):
    png = np.array([[32768 - 175, 32768 + 50], [32768 + 275, 32768 + 3071]], np.uint16)
    cv2.imwrite(str(tmp_path / 's.png'), png)
    res = LoadDeepLesionSlice(window='dicom', channels=1)(
        dict(img_path=str(tmp_path / 's.png'), dicom_window=[-175, 275]))
    assert res['img'][..., 0].tolist() == [[0, 128], [255, 255]] and res['img_shape'] == (2, 2)
    default = LoadDeepLesionSlice()(dict(img_path=str(tmp_path / 's.png')))
    assert default['img'].shape == (2, 2, 3) and default['img'][1, 1].tolist() == [255] * 3
    with pytest.raises(KeyError, match='dicom_window'):
        LoadDeepLesionSlice(window='dicom')(dict(img_path=str(tmp_path / 's.png')))
    cv2.imwrite(str(tmp_path / '8bit.png'), np.zeros((2, 2), np.uint8))
    with pytest.raises(ValueError, match='8bit.png: uint8 .* 16-bit PNG'):
        LoadDeepLesionSlice()(dict(img_path=str(tmp_path / '8bit.png')))


def test_tool_writes_and_reports(tmp_path, monkeypatch, capsys):
    root = write_fixture(tmp_path / 'DeepLesion')
    monkeypatch.setattr(sys, 'argv', ['deeplesion2coco.py', str(root)])
    runpy.run_path(str(REPO / 'tools/dataset_converters/deeplesion2coco.py'), run_name='__main__')
    out = capsys.readouterr().out
    assert 'train: no image left, not written (1 lesion(s) of type -1 dropped' in out
    assert 'deeplesion_val.json: 1 images, 2 boxes' in out
    assert '1 lesion(s) of type -1 dropped (0 image(s) left with none' in out
    assert sorted(p.name for p in (root / 'annotations').iterdir()) == [
        'deeplesion_test.json', 'deeplesion_val.json']
    bad = write_fixture(tmp_path / 'bad', [ROWS[1].replace(',F,62,', ',F,')], images=False)
    monkeypatch.setattr(sys, 'argv', ['deeplesion2coco.py', str(bad)])
    with pytest.raises(SystemExit, match='error: .*DL_info.csv: line 2: 17 fields'):
        runpy.run_path(str(REPO / 'tools/dataset_converters/deeplesion2coco.py'),
                       run_name='__main__')
