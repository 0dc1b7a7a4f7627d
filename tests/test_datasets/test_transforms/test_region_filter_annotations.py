from plb_mm.datasets.transforms import RegionFilterAnnotations

from .sladet_results import assert_aligned, boxes_of, regions_of, sample


def test_dropped_boxes_take_their_attributes_and_regions_stay():
    r = sample(boxes=[[0, 0, 2, 2], [10, 10, 30, 30], [40, 40, 43, 50]],
               regions=[[0, 0, 2, 2], [10, 10, 60, 60]])
    r = RegionFilterAnnotations(min_gt_bbox_wh=(5, 5))(r)
    assert boxes_of(r) == [[10, 10, 30, 30]] and r['gt_bboxes_labels'].tolist() == [1]
    assert regions_of(r) == [[0, 0, 2, 2], [10, 10, 60, 60]]    # a small region is no box
    assert_aligned(r)


def test_regions_do_not_count_as_boxes_for_keep_empty():
    r = sample(boxes=[[0, 0, 2, 2]], regions=[[10, 10, 60, 60]])
    assert RegionFilterAnnotations(min_gt_bbox_wh=(5, 5), keep_empty=True)(r) is None
