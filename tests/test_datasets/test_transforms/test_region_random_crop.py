import numpy as np

from plb_mm.datasets.transforms import RegionRandomCrop

from .sladet_results import assert_aligned, boxes_of, code, regions_of, sample


def _crop(offset_xy, **kw):
    """A 50 x 40 crop whose top-left corner is ``offset_xy``."""
    crop = RegionRandomCrop(crop_size=(50, 40), **kw)
    crop._rand_offset = lambda margin: offset_xy[::-1]   # mmdet draws (offset_h, offset_w)
    return crop


def test_crop_clips_regions_and_drops_those_left_empty():
    r = sample(w=100, h=80, boxes=[[25, 15, 35, 25], [0, 0, 10, 10], [60, 40, 90, 60]],
               regions=[[10, 20, 30, 40], [80, 60, 100, 80], [0, 0, 100, 80]])
    r = _crop((20, 10))(r)
    assert r['img'].shape[:2] == (40, 50)
    # [10,20,30,40] - (20,10) = [-10,10,10,30] -> clipped; [60,50,80,70] is outside the crop
    assert regions_of(r) == [[0, 10, 10, 30], [0, 0, 50, 40]]
    # box 1 ([-20,-10,-10,0]) leaves with its attribute row
    assert boxes_of(r) == [[5, 5, 15, 15], [40, 30, 50, 40]]
    assert r['gt_bboxes_labels'].tolist() == [0, 2]
    assert_aligned(r)


def test_a_crop_with_a_region_but_no_box_is_refused_as_in_mmdet():
    r = sample(w=100, h=80, boxes=[[90, 70, 100, 80]], regions=[[0, 0, 30, 30]])
    assert _crop((0, 0))(r) is None
    r = _crop((0, 0), allow_negative_crop=True)(
        sample(w=100, h=80, boxes=[[90, 70, 100, 80]], regions=[[0, 0, 30, 30]]))
    assert regions_of(r) == [[0, 0, 30, 30]] and len(r['gt_bboxes']) == 0
    assert r['gt_attributes'].shape == (0, 6)


def test_numpy_boxes_stay_numpy():
    r = sample(w=100, h=80, boxes=[[25, 15, 35, 25], [0, 0, 10, 10]], regions=[[10, 20, 30, 40]])
    r['gt_bboxes'] = r['gt_bboxes'].numpy()          # LoadAnnotations(box_type=None)
    r = _crop((20, 10))(r)
    assert isinstance(r['gt_bboxes'], np.ndarray)
    assert r['gt_bboxes'].tolist() == [[5, 5, 15, 15]]
    assert regions_of(r) == [[0, 10, 10, 30]]
    assert r['gt_attributes'].tolist() == [code(0)]
