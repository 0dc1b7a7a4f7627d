import json

import cv2
import numpy as np
import pytest

from plb_mm.datasets import CheckedCocoDataset, CocoFormatError, ImageFileError


def _image(path, width=100, height=80):
    cv2.imwrite(str(path), np.full((height, width, 3), 128, np.uint8))


def _write(tmp_path, anns, images=None, cats=None, touch=True):
    images = images or [dict(id=1, file_name='a.jpg', width=100, height=80)]
    cats = cats or [dict(id=1, name='RBC'), dict(id=2, name='WBC')]
    for img in images:
        if touch:
            _image(tmp_path / img['file_name'], img['width'], img['height'])
    ann_file = tmp_path / 'ann.json'
    ann_file.write_text(json.dumps(dict(images=images, annotations=anns, categories=cats)))
    return ann_file


def _ann(i, bbox, cat=1, **kw):
    return dict(id=i, image_id=1, category_id=cat, bbox=bbox, area=bbox[2] * bbox[3],
                iscrowd=0, **kw)


def _build(ann_file, classes=('RBC', 'WBC'), **kw):
    return CheckedCocoDataset(
        data_root=str(ann_file.parent), ann_file=ann_file.name, data_prefix=dict(img=''),
        metainfo=dict(classes=classes), pipeline=[], **kw)


def test_good_file_loads_every_box(tmp_path):
    ds = _build(_write(tmp_path, [_ann(1, [0, 0, 10, 10]), _ann(2, [90, 70, 10, 10], cat=2)]))
    inst = ds.get_data_info(0)['instances']
    assert [i['bbox'] for i in inst] == [[0, 0, 10, 10], [90, 70, 100, 80]]
    assert [i['bbox_label'] for i in inst] == [0, 1]
    assert ds.dropped == {}


def test_missing_image_names_file_and_record(tmp_path):
    ann_file = _write(tmp_path, [_ann(1, [0, 0, 10, 10])], touch=False)
    for check_images in (None, False):
        with pytest.raises(FileNotFoundError,
                           match=r"ann\.json: images\[0\] \(id 1, 'a\.jpg'\): image file not found"):
            _build(ann_file, check_images=check_images)


@pytest.mark.parametrize('bbox', [[95, 10, 10, 10], [-3, 10, 10, 10], [10, 75, 10, 10], [200, 200, 5, 5]])
def test_box_outside_image_names_file_and_record(tmp_path, bbox):
    ann_file = _write(tmp_path, [_ann(1, [0, 0, 10, 10]), _ann(7, bbox)])
    with pytest.raises(CocoFormatError, match=r"ann\.json: annotations\[1\] \(id 7, image id 1 'a\.jpg'\): bbox .*outside the 100x80 image"):
        _build(ann_file)


def test_box_within_tolerance_is_kept(tmp_path):
    ds = _build(_write(tmp_path, [_ann(1, [90.5, 0, 10, 10])]))
    assert len(ds.get_data_info(0)['instances']) == 1
    with pytest.raises(CocoFormatError):
        _build(_write(tmp_path, [_ann(1, [90.5, 0, 10, 10])]), bbox_tolerance=0)


def test_zero_area_is_dropped_and_counted(tmp_path, monkeypatch):
    logged = []
    monkeypatch.setattr('plb_mm.datasets.checked_coco.print_log',
                        lambda msg, **kw: logged.append(msg))
    anns = [_ann(1, [0, 0, 10, 10]), _ann(2, [5, 5, 0, 10]), _ann(3, [5, 5, 10, 0.5]),
            dict(_ann(4, [5, 5, 10, 10]), area=0)]
    ds = _build(_write(tmp_path, anns))
    assert len(ds.get_data_info(0)['instances']) == 1
    assert ds.dropped == {'zero area or a side under 1 px': [2, 3, 4]}
    assert any('ann.json: dropped 3 annotation(s) (zero area' in m for m in logged)


def test_unknown_category_id_names_file_and_record(tmp_path):
    ann_file = _write(tmp_path, [_ann(1, [0, 0, 10, 10]), _ann(5, [0, 0, 10, 10], cat=9)])
    with pytest.raises(CocoFormatError, match=r'annotations\[1\] \(id 5, .*\): category_id 9 is not among the categories of the file \[1, 2\]'):
        _build(ann_file)


def test_category_left_out_of_classes_is_counted(tmp_path):
    ds = _build(_write(tmp_path, [_ann(1, [0, 0, 10, 10]), _ann(2, [0, 0, 10, 10], cat=2)]),
                classes=('RBC', ))
    assert len(ds.get_data_info(0)['instances']) == 1
    assert ds.dropped == {'category not in metainfo classes': [2]}


def test_config_class_missing_from_file(tmp_path):
    with pytest.raises(CocoFormatError, match=r"ann\.json: classes \['Platelet'\] of the config are not defined"):
        _build(_write(tmp_path, [_ann(1, [0, 0, 10, 10])]), classes=('RBC', 'Platelet'))


def test_filtered_images_are_counted(tmp_path, monkeypatch):
    logged = []
    monkeypatch.setattr('plb_mm.datasets.checked_coco.print_log',
                        lambda msg, **kw: logged.append(msg))
    images = [dict(id=1, file_name='a.jpg', width=100, height=80),
              dict(id=2, file_name='b.jpg', width=100, height=80)]
    ds = _build(_write(tmp_path, [_ann(1, [0, 0, 10, 10])], images=images),
                filter_cfg=dict(filter_empty_gt=True))
    assert len(ds) == 1
    assert any('removed 1 of 2 images' in m for m in logged)


def _four_images(tmp_path):
    images = [dict(id=k + 1, file_name=f'{n}.jpg', width=100, height=80)
              for k, n in enumerate('abcd')]
    anns = [dict(_ann(k + 1, [0, 0, 10 + k, 10]), image_id=k + 1) for k in range(4)]
    return images, anns


def test_duplicate_image_ids_name_both_records(tmp_path):
    images, anns = _four_images(tmp_path)
    images[3]['id'] = images[2]['id']
    with pytest.raises(CocoFormatError, match=r"ann\.json: images\[3\] \(id 3, 'd\.jpg'\): duplicate "
                       r"image id 3, also used by images\[2\] \(id 3, 'c\.jpg'\)"):
        _build(_write(tmp_path, anns[:3], images=images))


def test_duplicate_annotation_ids_name_both_records(tmp_path):
    images, anns = _four_images(tmp_path)
    anns[1]['id'] = anns[0]['id']
    with pytest.raises(CocoFormatError, match=r"ann\.json: annotations\[1\] \(id 1, image id 2 'b\.jpg'\): "
                       r"duplicate annotation id 1, also used by annotations\[0\] \(id 1, image id 1 'a\.jpg'\)"):
        _build(_write(tmp_path, anns, images=images))


def _set(key, value, record='annotations'):
    def edit(data):
        data[record][0][key] = value
    return edit


@pytest.mark.parametrize('edit, match', [
    (lambda d: d.pop('images'), r"ann\.json: has no 'images' list"),
    (lambda d: d.update(categories={}), r"ann\.json: 'categories' is a dict, expected a list"),
    (_set('bbox', [0, 0, 10]), r"ann\.json: annotations\[0\] \(id 1, image id 1 'a\.jpg'\): 'bbox' is "
                               r"\[0, 0, 10\], expected four numbers \[x, y, width, height\]"),
    (_set('bbox', [0, 0, '10', 10]), r"annotations\[0\] .*'bbox' is \[0, 0, '10', 10\], expected four numbers"),
    (_set('category_id', '1'), r"ann\.json: annotations\[0\] \(id 1, image id 1 'a\.jpg'\): 'category_id' is "
                               r"a string, expected the integer id of one of the categories \[1, 2\]"),
    (_set('bbox', [20, 0, -10, 10]), r"annotations\[0\] \(id 1, .*\): bbox \[x, y, w, h\] = \[20, 0, -10, 10\] "
                                     r"has a negative width"),
    (_set('image_id', 9), r"ann\.json: annotations\[0\] \(id 1\): image_id 9 is not the id of any image"),
    (lambda d: d['annotations'][0].pop('area'), r"annotations\[0\] \(id 1, .*\): has no 'area'"),
    (_set('width', -100, 'images'), r"ann\.json: images\[0\] \(id 1, 'a\.jpg'\): 'width' is -100 \(int\), "
                                    r"expected a positive number"),
    (_set('id', '1', 'images'), r"images\[0\] \(id '1', 'a\.jpg'\): 'id' is a string, expected an integer"),
    (lambda d: d['categories'].append(dict(id=3, name='RBC')),
     r"categories\[2\] \(id 3, 'RBC'\): duplicate category name 'RBC', also used by categories\[0\]"),
    (_set('labeled_regions', [[0, 0, 10]], 'images'),
     r"ann\.json: images\[0\] \(id 1, 'a\.jpg'\): labeled_regions\[0\] is \[0, 0, 10\], "
     r"expected four numbers \[x1, y1, x2, y2\]"),
    (_set('labeled_regions', [[0, 0, 10, 10], [20, 0, 10, 10]], 'images'),
     r"ann\.json: images\[0\] \(id 1, 'a\.jpg'\): labeled_regions\[1\] = \[20, 0, 10, 10\] has "
     r"x2 <= x1; regions are \[x1, y1, x2, y2\]"),
    (_set('labeled_regions', [[50, 50, 120, 60]], 'images'),
     r"images\[0\] \(id 1, 'a\.jpg'\): labeled_regions\[0\] = \[50, 50, 120, 60\] reaches outside "
     r"the 100x80 image \(tolerance 1\.0 px\)"),
    (_set('labeled_regions', None, 'images'),
     r"images\[0\] \(id 1, 'a\.jpg'\): 'labeled_regions' is None \(NoneType\), expected a list"),
    (_set('attributes', [1, 0, 2, 0, 0, 0]),
     r"annotations\[0\] \(id 1, image id 1 'a\.jpg'\): 'attributes' is \[1, 0, 2, 0, 0, 0\], "
     r"expected a list of integers 0, 1 or -1"),
    (_set('attributes', [1, 0]),
     r"annotations\[0\] \(id 1, image id 1 'a\.jpg'\): 'attributes' has 2 values, expected 6"),
])
def test_malformed_record_names_file_and_record(tmp_path, edit, match):
    ann_file = _write(tmp_path, [_ann(1, [0, 0, 10, 10])])
    data = json.loads(ann_file.read_text())
    edit(data)
    ann_file.write_text(json.dumps(data))
    with pytest.raises(CocoFormatError, match=match) as e:
        _build(ann_file)
    assert 'zero area' not in str(e.value)


def test_invalid_json_names_file_line_and_column(tmp_path):
    ann_file = _write(tmp_path, [_ann(k, [0, 0, 10, 10]) for k in range(1, 4)])
    ann_file.write_text(ann_file.read_text()[:-40])  # a cut-off write
    with pytest.raises(CocoFormatError, match=r'ann\.json: not valid JSON: .* at line 1 column \d+'):
        _build(ann_file)
    ann_file.write_text('')
    with pytest.raises(CocoFormatError, match=r'ann\.json: the file is empty'):
        _build(ann_file)
    ann_file.write_text('[]')
    with pytest.raises(CocoFormatError, match=r'ann\.json: the top level is a JSON list'):
        _build(ann_file)


def test_every_problem_is_listed_in_one_error(tmp_path):
    anns = [dict(_ann(1, [0, 0, 10, 10]), bbox=[0, 0, 10]), _ann(2, [0, 0, 10, 10], cat='2'),
            _ann(3, [0, 0, 10, 10])]
    with pytest.raises(CocoFormatError) as e:
        _build(_write(tmp_path, anns))
    msg = str(e.value)
    assert msg.startswith('2 problems in ') and msg.count('\n') == 2
    assert 'annotations[0] (id 1,' in msg and 'annotations[1] (id 2,' in msg


def test_test_data_may_have_no_annotations(tmp_path):
    ann_file = _write(tmp_path, [])
    data = json.loads(ann_file.read_text())
    del data['annotations']
    ann_file.write_text(json.dumps(data))
    assert len(_build(ann_file, test_mode=True)) == 1
    with pytest.raises(CocoFormatError, match=r"has no 'annotations' list"):
        _build(ann_file)


def _noise_image(path, width=100, height=80):
    rng = np.random.default_rng(0)
    cv2.imwrite(str(path), rng.integers(0, 255, (height, width, 3), dtype=np.uint8))


def _truncate(path, keep=0.5):
    data = path.read_bytes()
    path.write_bytes(data[:int(len(data) * keep)])


def _bad_images(tmp_path):
    """a.jpg and b.png cut in half, c.jpg good, d.jpg 50x40 where its record
    says 100x80."""
    images = [dict(id=k + 1, file_name=n, width=100, height=80)
              for k, n in enumerate(['a.jpg', 'b.png', 'c.jpg', 'd.jpg'])]
    anns = [dict(_ann(k + 1, [0, 0, 10, 10]), image_id=k + 1) for k in range(4)]
    ann_file = _write(tmp_path, anns, images=images, touch=False)
    for img in images:
        _noise_image(tmp_path / img['file_name'])
    _truncate(tmp_path / 'a.jpg')
    _truncate(tmp_path / 'b.png')
    _noise_image(tmp_path / 'd.jpg', 50, 40)
    return ann_file


def test_corrupt_images_are_listed_at_start_up(tmp_path):
    with pytest.raises(ImageFileError) as e:
        _build(_bad_images(tmp_path))  # training data: checked by default
    msg = str(e.value)
    assert msg.startswith('3 bad image files in ') and 'ann.json' in msg.split('\n')[0]
    lines = msg.split('\n')[1:]
    assert len(lines) == 3 and all(line.startswith(str(tmp_path / 'ann.json')) for line in lines)
    assert "images[0] (id 1, 'a.jpg')" in lines[0] and 'truncated' in lines[0] and 'JPEG' in lines[0]
    assert "images[1] (id 2, 'b.png')" in lines[1] and ('truncated' in lines[1] or 'cannot be read' in lines[1])
    assert "images[3] (id 4, 'd.jpg')" in lines[2] and 'is 50x40 pixels' in lines[2] \
        and 'the record says 100x80' in lines[2]
    assert isinstance(e.value, FileNotFoundError)  # callers that catch missing files


def test_image_check_defaults_to_training_data(tmp_path):
    ann_file = _bad_images(tmp_path)
    assert _build(ann_file, test_mode=True).image_check_level is None
    assert len(_build(ann_file, test_mode=True)) == 4       # as before for test data
    assert len(_build(ann_file, check_images=False)) == 4   # switched off
    with pytest.raises(ImageFileError):
        _build(ann_file, test_mode=True, check_images=True)
    with pytest.raises(ValueError, match='check_images'):
        _build(ann_file, check_images='yes')


def test_image_check_is_cached_by_size_and_mtime(tmp_path, monkeypatch, image_check_cache):
    import plb_mm.datasets.image_check as image_check
    images = [dict(id=k + 1, file_name=f'{k}.jpg', width=100, height=80) for k in range(3)]
    anns = [dict(_ann(k + 1, [0, 0, 10, 10]), image_id=k + 1) for k in range(3)]
    ann_file = _write(tmp_path, anns, images=images)
    opened = []
    real_open = image_check._open_image
    monkeypatch.setattr(image_check, '_open_image',
                        lambda path, level: opened.append(path) or real_open(path, level))
    _build(ann_file)
    assert len(opened) == 3 and list(image_check_cache.rglob('*.json'))
    opened.clear()
    _build(ann_file)
    assert opened == []                                      # second start: stats only
    _noise_image(tmp_path / '1.jpg')                         # changed file: opened again
    _build(ann_file)
    assert opened == [str(tmp_path / '1.jpg')]
    opened.clear()
    _truncate(tmp_path / '2.jpg')
    with pytest.raises(ImageFileError, match=r"(?i)images\[2\] \(id 3, '2\.jpg'\).*truncated"):
        _build(ann_file)
    with pytest.raises(ImageFileError):                      # bad files are never cached
        _build(ann_file)
    assert opened == [str(tmp_path / '2.jpg')] * 2


def test_unwritable_or_corrupt_image_check_cache_is_ignored(tmp_path, monkeypatch,
                                                            image_check_cache):
    blocker = tmp_path / 'not_a_dir'
    blocker.write_text('')
    monkeypatch.setenv('PLB_MM_CACHE_DIR', str(blocker / 'cache'))   # cannot be created
    ann_file = _write(tmp_path, [_ann(1, [0, 0, 10, 10])])
    assert len(_build(ann_file)) == 1
    monkeypatch.setenv('PLB_MM_CACHE_DIR', str(image_check_cache))
    _build(ann_file)
    [cache_file] = image_check_cache.rglob('*.json')
    cache_file.write_text('{"version": 1, "files": [')                 # cut off
    assert len(_build(ann_file)) == 1
    assert json.loads(cache_file.read_text())['version'] == 1          # rewritten


def test_classes_in_another_order_than_the_file(tmp_path):
    # mmdet would label the RBC box 0, and classes[0] is 'WBC'
    with pytest.raises(CocoFormatError, match=r"ann\.json: the classes of the config \('WBC', 'RBC'\) are "
                       r"in another order than the categories of the file \('RBC', 'WBC'\)"):
        _build(_write(tmp_path, [_ann(1, [0, 0, 10, 10])]), classes=('WBC', 'RBC'))
    cats = [dict(id=5, name='WBC'), dict(id=2, name='Platelet'), dict(id=1, name='RBC')]
    ds = _build(_write(tmp_path, [_ann(1, [0, 0, 10, 10])], cats=cats), classes=('WBC', 'RBC'))
    assert ds.get_data_info(0)['instances'][0]['bbox_label'] == 1   # RBC, as the config says


def test_labeled_regions_and_attributes_are_parsed(tmp_path, monkeypatch):
    monkeypatch.setattr('plb_mm.datasets.checked_coco.print_log', lambda msg, **kw: None)
    images = [dict(id=1, file_name='a.jpg', width=100, height=80,
                   labeled_regions=[[0, 0, 50, 40], [60, -0.5, 100.5, 80]]),
              dict(id=2, file_name='b.jpg', width=100, height=80),
              dict(id=3, file_name='c.jpg', width=100, height=80, labeled_regions=[])]
    anns = [_ann(1, [5, 5, 0, 10], attributes=[1, 1, 1, 1, 1, 1]),   # zero width: dropped
            _ann(2, [0, 0, 10, 10], attributes=[1, 0, -1, 0, 1, 0]),
            _ann(3, [100, 0, 1, 10], attributes=[1, 1, 0, 0, 1, 1]),  # outside, within 1 px
            _ann(4, [20, 20, 10, 10]),
            dict(_ann(5, [0, 0, 10, 10], attributes=[0, 0, 0, 0, 0, 1]), image_id=2)]
    ds = _build(_write(tmp_path, anns, images=images))
    a, b, c = (ds.get_data_info(i) for i in range(3))
    assert a['labeled_regions'].dtype == np.float32
    assert a['labeled_regions'].tolist() == [[0, 0, 50, 40], [60, 0, 100, 80]]  # clipped
    assert b['labeled_regions'] is None                     # the whole image
    assert c['labeled_regions'].shape == (0, 4)             # nothing labelled
    assert [i['attributes'] for i in a['instances']] == [[1, 0, -1, 0, 1, 0], [-1] * 6]
    assert [i['bbox'] for i in a['instances']] == [[0, 0, 10, 10], [20, 20, 30, 30]]
    assert b['instances'][0]['attributes'] == [0, 0, 0, 0, 0, 1]
    assert ds.dropped == {'zero area or a side under 1 px': [1],
                          'outside the image, within bbox_tolerance': [3]}


def test_num_attributes(tmp_path):
    ann_file = _write(tmp_path, [_ann(1, [0, 0, 10, 10], attributes=[1, 0, 1]),
                                 _ann(2, [0, 0, 20, 10])])
    ds = _build(ann_file, num_attributes=3)
    assert [i['attributes'] for i in ds.get_data_info(0)['instances']] == [[1, 0, 1], [-1] * 3]


def test_image_fields_reach_the_pipeline(tmp_path):
    images = [dict(id=1, file_name='a.jpg', width=100, height=80, dicom_window=[-175, 275]),
              dict(id=2, file_name='b.jpg', width=100, height=80)]
    anns = [_ann(1, [0, 0, 10, 10]), dict(_ann(2, [0, 0, 10, 10]), image_id=2)]
    ds = _build(_write(tmp_path, anns, images=images), image_fields=('dicom_window', ))
    assert ds.get_data_info(0)['dicom_window'] == [-175, 275]
    assert ds.get_data_info(1)['dicom_window'] is None
    assert 'dicom_window' not in _build(tmp_path / 'ann.json').get_data_info(0)
