from plb_mm.datasets.transforms import RegionMosaic

from .sladet_results import assert_aligned, boxes_of, regions_of, sample


def test_mosaic_places_each_sub_images_regions_and_clips_them_to_the_canvas():
    """img_scale (64, 64): a 128 x 128 canvas; centre ratio 1.25: the four
    images meet at (80, 80). Each sub-image is resized to fit 64 x 64 and
    pasted against the centre (mmdet's Mosaic)."""
    top_left = sample(w=64, h=64, boxes=[[0, 0, 10, 10]], regions=[[10, 20, 30, 40]])
    # x2, pasted at (80, 16): the canvas ends at x = 128
    top_right = sample(w=32, h=32, boxes=[[0, 0, 8, 8], [28, 28, 32, 32]], labels=[10, 11],
                       regions=[[0, 0, 16, 16], [20, 0, 32, 8]])
    # x0.5, pasted at (16, 80)
    bottom_left = sample(w=128, h=64, boxes=[[100, 0, 128, 64]], labels=[20],
                         regions=[[100, 0, 128, 64]])
    # no regions: the whole image, pasted at (80, 80) and cut at 128
    bottom_right = sample(w=64, h=64, boxes=[[0, 0, 20, 20], [50, 50, 60, 60]], labels=[30, 31])
    r = dict(top_left, mix_results=[top_right, bottom_left, bottom_right])
    r = RegionMosaic(img_scale=(64, 64), center_ratio_range=(1.25, 1.25))(r)
    assert r['img'].shape[:2] == (128, 128)
    assert regions_of(r) == [
        [26, 36, 46, 56],                          # + (16, 16)
        [80, 16, 112, 48], [120, 16, 128, 32],     # x2 + (80, 16), the second clipped
        [66, 80, 80, 112],                         # x0.5 + (16, 80)
        [80, 80, 128, 128],                        # the whole 64 x 64 image at (80, 80), clipped
    ]
    # [28,28,32,32] -> [136,72,144,80] and [50,50,60,60] -> [130,130,140,140] leave the canvas
    assert r['gt_bboxes_labels'].tolist() == [0, 10, 20, 30]
    assert boxes_of(r) == [[16, 16, 26, 26], [80, 16, 96, 32], [66, 80, 80, 112],
                           [80, 80, 100, 100]]
    assert_aligned(r)


def test_mosaic_skipped_by_prob_leaves_regions():
    r = sample(boxes=[[0, 0, 10, 10]], regions=[[10, 20, 30, 40]])
    r['mix_results'] = [sample() for _ in range(3)]
    r = RegionMosaic(img_scale=(64, 64), prob=0.0)(r)
    assert regions_of(r) == [[10, 20, 30, 40]]
    assert_aligned(r)
