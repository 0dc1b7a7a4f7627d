import json

import numpy as np
import pytest

from plb_mm.datasets import CheckedCocoDataset, CocoFormatError


def _write(tmp_path, anns, images=None, cats=None, touch=True):
    images = images or [dict(id=1, file_name='a.jpg', width=100, height=80)]
    cats = cats or [dict(id=1, name='RBC'), dict(id=2, name='WBC')]
    for img in images:
        if touch:
            (tmp_path / img['file_name']).write_bytes(b'x')
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
    with pytest.raises(FileNotFoundError, match=r"ann\.json: image id 1 \('a\.jpg'\): image file not found"):
        _build(ann_file)


@pytest.mark.parametrize('bbox', [[95, 10, 10, 10], [-3, 10, 10, 10], [10, 75, 10, 10], [200, 200, 5, 5]])
def test_box_outside_image_names_file_and_record(tmp_path, bbox):
    ann_file = _write(tmp_path, [_ann(1, [0, 0, 10, 10]), _ann(7, bbox)])
    with pytest.raises(CocoFormatError, match=r'ann\.json: image id 1 .*annotation id 7.*outside the 100x80 image'):
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
    with pytest.raises(CocoFormatError, match=r'annotation id 5: category_id 9 is not among the categories of the file \[1, 2\]'):
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
