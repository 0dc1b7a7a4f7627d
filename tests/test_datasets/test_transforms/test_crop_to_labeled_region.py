import numpy as np
import pytest

from plb_mm.datasets.transforms import CropToLabeledRegion

from .sladet_results import assert_aligned, boxes_of, regions_of, sample


def _img(w, h):
    """Pixel (row, col) holds (col, row, 7): the crop's origin can be read off."""
    img = np.zeros((h, w, 3), np.uint8)
    img[..., 0] = np.arange(w)[None, :]
    img[..., 1] = np.arange(h)[:, None]
    img[..., 2] = 7
    return img


def test_crops_to_the_region_keeping_the_boxes_centred_in_it():
    # box 0 centred inside, box 1 centred inside (x 20.5, left of the rounded crop)
    # and crossing the border (clipped), box 2 overlapping the region with its
    # centre (55) outside (dropped), box 3 far away
    r = sample(w=100, h=80, boxes=[[25, 25, 35, 35], [15, 30, 26, 40], [45, 30, 65, 40],
                                   [80, 60, 90, 70]],
               regions=[[20.4, 20, 50.6, 50]])
    r['img'] = _img(100, 80)
    r = CropToLabeledRegion()(r)
    # rounded inwards: [21, 20, 50, 50]
    assert r['img'].shape == (30, 29, 3) and r['img_shape'] == (30, 29)
    assert r['img'][0, 0].tolist() == [21, 20, 7]
    assert boxes_of(r) == [[4, 5, 14, 15], [0, 10, 5, 20]]
    assert r['gt_bboxes_labels'].tolist() == [0, 1]
    assert regions_of(r) == [[0, 0, 29, 30]]
    assert_aligned(r)


def test_centre_on_the_region_edge_is_half_open():
    # centres at x = 20 (in: left edge) and x = 50 (out: right edge)
    r = sample(w=100, h=80, boxes=[[15, 25, 25, 35], [45, 25, 55, 35]], regions=[[20, 20, 50, 50]])
    r = CropToLabeledRegion()(r)
    assert boxes_of(r) == [[0, 5, 5, 15]] and r['gt_bboxes_labels'].tolist() == [0]
    assert_aligned(r)


def test_draws_each_region():
    seen = set()
    np.random.seed(0)
    for _ in range(30):
        r = sample(w=100, h=80, boxes=[[5, 5, 15, 15], [65, 45, 75, 55]],
                   regions=[[0, 0, 20, 20], [60, 40, 100, 80]])
        r = CropToLabeledRegion()(r)
        seen.add((r['img'].shape[:2], tuple(r['gt_bboxes_labels'].tolist())))
    assert seen == {((20, 20), (0,)), ((40, 40), (1,))}


def test_no_region_is_refused_and_whole_image_is_kept():
    r = sample(w=100, h=80, boxes=[[5, 5, 15, 15]], regions=np.zeros((0, 4)))
    assert CropToLabeledRegion()(r) is None
    r = CropToLabeledRegion()(sample(w=100, h=80, boxes=[[5, 5, 15, 15]]))  # no regions: whole
    assert r['img'].shape[:2] == (80, 100) and boxes_of(r) == [[5, 5, 15, 15]]
    assert regions_of(r) == [[0, 0, 100, 80]]


def test_a_region_without_boxes_gives_a_background_crop():
    r = CropToLabeledRegion()(sample(w=100, h=80, boxes=[[5, 5, 15, 15]],
                                     regions=[[50, 50, 70, 60]]))
    assert r['img'].shape[:2] == (10, 20) and len(r['gt_bboxes']) == 0
    assert r['gt_attributes'].shape == (0, 6)


@pytest.mark.parametrize('numpy_boxes', [True, False])
def test_box_types(numpy_boxes):
    r = sample(w=100, h=80, boxes=[[25, 25, 35, 35]], regions=[[20, 20, 50, 50]])
    if numpy_boxes:
        r['gt_bboxes'] = r['gt_bboxes'].numpy()
    r = CropToLabeledRegion()(r)
    assert isinstance(r['gt_bboxes'], np.ndarray) == numpy_boxes
    assert np.asarray(r['gt_bboxes'] if numpy_boxes else r['gt_bboxes'].numpy()).tolist() == \
        [[5, 5, 15, 15]]
