import numpy as np

from mmdet.datasets.transforms import Resize
from plb_mm.datasets.transforms import RegionResize

from .sladet_results import assert_aligned, boxes_of, regions_of, sample


def test_resize_by_half_and_two_scales_regions():
    r = sample(w=100, h=80, boxes=[[10, 10, 20, 20]],
               regions=[[10, 20, 30, 40], [0, 0, 100, 80]])
    r = RegionResize(scale_factor=(0.5, 2))(r)
    assert r['img'].shape[:2] == (160, 50)
    assert regions_of(r) == [[5, 40, 15, 80], [0, 0, 50, 160]]
    assert boxes_of(r) == [[5, 20, 10, 40]]
    assert_aligned(r)


def test_whole_image_region_follows_the_image():
    r = RegionResize(scale=(64, 48), keep_ratio=False)(sample(w=100, h=80, boxes=[[0, 0, 5, 5]]))
    assert regions_of(r) == [[0, 0, 64, 48]]


def test_without_sladet_keys_it_is_mmdets_resize():
    a, b = sample(boxes=[[10, 10, 20, 20]]), sample(boxes=[[10, 10, 20, 20]])
    for r in (a, b):
        del r['gt_labeled_regions'], r['gt_attributes']
    a, b = RegionResize(scale_factor=(0.5, 2))(a), Resize(scale_factor=(0.5, 2))(b)
    assert sorted(a) == sorted(b) and boxes_of(a) == boxes_of(b)
    assert np.array_equal(a['gt_bboxes_labels'], b['gt_bboxes_labels'])
