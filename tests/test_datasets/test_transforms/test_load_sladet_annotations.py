import numpy as np
import pytest

from plb_mm.datasets.transforms import LoadSLADetAnnotations

from .sladet_results import code, sample


def test_regions_and_attributes_are_loaded():
    r = sample(boxes=[[0, 0, 10, 10], [20, 20, 30, 40]], labels=[1, 0],
               regions=[[10, 20, 30, 40], [50, 0, 100, 80]])
    assert r['gt_labeled_regions'].dtype == np.float32
    assert r['gt_labeled_regions'].tolist() == [[10, 20, 30, 40], [50, 0, 100, 80]]
    assert r['gt_attributes'].dtype == np.int64
    assert r['gt_attributes'].tolist() == [code(1), code(0)]
    assert r['gt_bboxes_labels'].tolist() == [1, 0]       # mmdet's loading as before


def test_no_regions_is_the_whole_image_and_empty_is_nothing():
    assert sample(w=100, h=80)['gt_labeled_regions'].tolist() == [[0, 0, 100, 80]]
    assert sample(regions=np.zeros((0, 4)))['gt_labeled_regions'].shape == (0, 4)
    # before the image is loaded: the record's width and height
    r = LoadSLADetAnnotations()(dict(instances=[], width=30, height=20))
    assert r['gt_labeled_regions'].tolist() == [[0, 0, 30, 20]]
    with pytest.raises(KeyError, match='image size'):
        LoadSLADetAnnotations()(dict(instances=[]))


def test_missing_attributes_are_unknown_and_a_wrong_length_names_the_image():
    inst = [dict(bbox=[0, 0, 5, 5], bbox_label=0, ignore_flag=0)]
    r = LoadSLADetAnnotations()(dict(instances=inst, ori_shape=(8, 8)))
    assert r['gt_attributes'].tolist() == [[-1] * 6]
    assert LoadSLADetAnnotations()(dict(instances=[], ori_shape=(8, 8)))['gt_attributes'].shape \
        == (0, 6)
    inst[0]['attributes'] = [1, 0, 1]
    with pytest.raises(ValueError, match=r'a\.png \(image id 7\): instance 0 has 3 attributes, '
                                         r'expected num_attributes=6'):
        LoadSLADetAnnotations()(dict(instances=inst, ori_shape=(8, 8), img_path='a.png', img_id=7))
    assert LoadSLADetAnnotations(num_attributes=3)(
        dict(instances=inst, ori_shape=(8, 8)))['gt_attributes'].tolist() == [[1, 0, 1]]


def test_switched_off():
    r = LoadSLADetAnnotations(with_regions=False, with_attributes=False)(
        dict(instances=[], ori_shape=(8, 8)))
    assert 'gt_labeled_regions' not in r and 'gt_attributes' not in r and 'gt_bboxes' in r
