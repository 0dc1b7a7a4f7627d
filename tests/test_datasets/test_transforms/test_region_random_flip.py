import pytest

from plb_mm.datasets.transforms import RegionRandomFlip

from .sladet_results import assert_aligned, boxes_of, regions_of, sample


@pytest.mark.parametrize('direction, region', [
    ('horizontal', [70, 20, 90, 40]),
    ('vertical', [10, 40, 30, 60]),
    ('diagonal', [70, 40, 90, 60]),
])
def test_flip_moves_regions_as_boxes(direction, region):
    r = sample(w=100, h=80, boxes=[[10, 20, 30, 40], [0, 0, 5, 5]],
               regions=[[10, 20, 30, 40], [0, 0, 100, 80]])
    r = RegionRandomFlip(prob=1.0, direction=direction)(r)
    assert regions_of(r) == [region, [0, 0, 100, 80]]     # the whole image stays whole
    assert boxes_of(r)[0] == region
    assert_aligned(r)


def test_no_flip_leaves_regions():
    r = RegionRandomFlip(prob=0.0)(sample(regions=[[10, 20, 30, 40]]))
    assert regions_of(r) == [[10, 20, 30, 40]]


def test_attributes_left_behind_by_an_earlier_mmdet_transform_are_refused():
    r = sample(boxes=[[0, 0, 10, 10], [20, 20, 30, 30]])
    r['gt_bboxes'] = r['gt_bboxes'][[True, False]]        # as mmdet's RandomCrop would
    with pytest.raises(ValueError, match=r'100x80\.png: gt_attributes has 2 rows for 1 boxes'):
        RegionRandomFlip(prob=1.0)(r)
