import numpy as np

from plb_mm.datasets.transforms import BlackOutUnlabeled

from .sladet_results import boxes_of, sample


def _white(r):
    r['img'] = np.full(r['img'].shape, 200, np.uint8)
    return r


def test_pixels_outside_every_region_are_filled():
    r = _white(sample(w=10, h=8, boxes=[[1, 1, 3, 3]], regions=[[1, 1, 4, 3], [6, 5.5, 8, 8]]))
    out = BlackOutUnlabeled()(r)
    kept = out['img'][..., 0] == 200
    expected = np.zeros((8, 10), bool)
    expected[1:3, 1:4] = True    # integer corners: pixels x1 .. x2 - 1
    expected[6:8, 6:8] = True    # y1 = 5.5: row 5's centre (5.5) is in (half-open)
    expected[5, 6:8] = True
    assert (kept == expected).all()
    assert (out['img'][~expected] == 0).all()
    assert boxes_of(out) == [[1, 1, 3, 3]]            # boxes untouched


def test_fill_per_channel_and_whole_image_and_nothing_labelled():
    r = _white(sample(w=4, h=4, regions=[[0, 0, 2, 4]]))
    out = BlackOutUnlabeled(fill=(1, 2, 3))(r)
    assert out['img'][0, 3].tolist() == [1, 2, 3] and out['img'][0, 1].tolist() == [200] * 3
    r = _white(sample(w=4, h=4))                       # no regions: the whole image
    assert (BlackOutUnlabeled()(r)['img'] == 200).all()
    r = _white(sample(w=4, h=4, regions=np.zeros((0, 4))))
    assert (BlackOutUnlabeled()(r)['img'] == 0).all()
    r = _white(sample(w=4, h=4))
    del r['gt_labeled_regions']                        # not loaded: untouched
    assert (BlackOutUnlabeled()(r)['img'] == 200).all()
