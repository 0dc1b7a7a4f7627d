import math

import numpy as np
import pytest

from plb_mm.datasets.transforms import RegionRandomAffine

from .sladet_results import assert_aligned, boxes_of, regions_of, sample


def _affine(matrix, **kw):
    affine = RegionRandomAffine(**kw)
    affine._get_random_homography_matrix = lambda h, w: np.array(matrix, np.float32)
    return affine


def test_translation_moves_regions_and_drops_the_one_that_leaves():
    r = sample(w=100, h=80, boxes=[[10, 20, 30, 40], [60, 0, 70, 5]],
               regions=[[10, 20, 30, 40], [60, 0, 100, 5], [0, 0, 100, 80]])
    r = _affine([[1, 0, 20], [0, 1, -10], [0, 0, 1]])(r)
    # [60,0,100,5] -> [80,-10,120,-5]: above the image, dropped
    assert regions_of(r) == [[30, 10, 50, 30], [20, 0, 100, 70]]
    assert boxes_of(r) == [[30, 10, 50, 30]] and r['gt_bboxes_labels'].tolist() == [0]
    assert_aligned(r)


def test_scale_by_half():
    r = sample(w=100, h=80, boxes=[[10, 20, 30, 40]], regions=[[10, 20, 30, 40], [0, 0, 100, 80]])
    r = _affine([[0.5, 0, 0], [0, 0.5, 0], [0, 0, 1]])(r)
    assert regions_of(r) == [[5, 10, 15, 20], [0, 0, 50, 40]]
    assert_aligned(r)


def test_rotation_gives_the_box_of_the_warped_corners():
    # 90 degrees: (x, y) -> (80 - y, x)
    r = _affine([[0, -1, 80], [1, 0, 0], [0, 0, 1]])(sample(regions=[[10, 20, 30, 40]]))
    assert regions_of(r) == [[40, 10, 60, 30]]
    # 45 degrees about the origin, then 50 px right: corners (50, 0), (57.07, 7.07),
    # (42.93, 7.07), (50, 14.14)
    c = s = math.sqrt(0.5)
    r = _affine([[c, -s, 50], [s, c, 0], [0, 0, 1]])(sample(regions=[[0, 0, 10, 10]]))
    assert regions_of(r)[0] == pytest.approx([42.93, 0, 57.07, 14.14], abs=0.01)


def test_yolox_border_crops_the_output():
    # YOLOX uses border=(-w/2, -h/2) after a 2x mosaic: a 100x80 output of a
    # 200x160 input; the identity warp keeps the top-left quarter
    r = sample(w=200, h=160, boxes=[[10, 10, 20, 20], [150, 100, 160, 110]],
               regions=[[0, 0, 200, 160], [120, 90, 180, 150]])
    r = _affine(np.eye(3), border=(-50, -40))(r)
    assert r['img'].shape[:2] == (80, 100)
    assert regions_of(r) == [[0, 0, 100, 80]]
    assert r['gt_bboxes_labels'].tolist() == [0]
    assert_aligned(r)
