"""The benchmark paper's augmentation (configs/_base_/benchmark_augmentation.py:
reflect pad 50 px, rotate +-30 deg, crop 0-64 px per side, resize 240) moves
the boxes with the pixels: hand-worked cases per step, and the whole pipeline
on an image whose only bright pixels are its box."""
import numpy as np
import pytest
from mmcv.transforms import Compose
from mmdet.datasets.transforms import Rotate
from mmdet.registry import TRANSFORMS
from mmdet.structures.bbox import HorizontalBoxes
from mmengine.config import Config

from plb_mm.datasets.transforms.pad_sides import PadSides
from plb_mm.datasets.transforms.random_crop_sides import RandomCropSides

from ...conftest import REPO

AUGMENTATION = REPO / 'configs/_base_/benchmark_augmentation.py'


def _sample(img, boxes, labels=None):
    boxes = np.asarray(boxes, dtype=np.float32).reshape(-1, 4)
    n = len(boxes)
    return dict(img=img, img_shape=img.shape[:2], ori_shape=img.shape[:2],
                gt_bboxes=HorizontalBoxes(boxes),
                gt_bboxes_labels=np.arange(n) if labels is None else np.asarray(labels),
                gt_ignore_flags=np.zeros(n, dtype=bool))


def _boxes(r):
    return r['gt_bboxes'].numpy().tolist()


def _bright_box(img, thr=128):
    """Continuous box of the pixels above ``thr`` (pixel i covers [i, i + 1))."""
    ys, xs = np.nonzero(img[..., 0] > thr)
    return [xs.min(), ys.min(), xs.max() + 1, ys.max() + 1]


def _square_image(h, w, box):
    img = np.zeros((h, w, 3), np.uint8)
    x1, y1, x2, y2 = box
    img[y1:y2, x1:x2] = 255
    return img


def test_config_holds_the_papers_steps():
    aug = Config.fromfile(str(AUGMENTATION)).paper_augmentation
    assert [s['type'] for s in aug] == ['PadSides', 'Rotate', 'RandomCropSides', 'Resize']
    assert aug[0]['padding'] == 50 and aug[0]['padding_mode'] == 'reflect'
    assert (aug[1]['min_mag'], aug[1]['max_mag'], aug[1]['reversal_prob']) == (0.0, 30.0, 0.5)
    assert aug[2]['max_crop'] == 64
    assert aug[3]['scale'] == (240, 240) and aug[3]['keep_ratio'] is False


def test_reflect_padding_mirrors_and_shifts_boxes_by_the_padding():
    img = np.stack([np.arange(12, dtype=np.uint8).reshape(3, 4)] * 3, -1)
    r = PadSides(2)(_sample(img, [[1, 1, 2, 2]]))
    expect = np.pad(img[..., 0], 2, mode='reflect')   # [1 2 3] -> [3 2 | 1 2 3 | 2 1]
    assert np.array_equal(r['img'][..., 0], expect)
    assert r['img'][2, 0:3, 0].tolist() == [2, 1, 0]  # row 0 of the image mirrored left of it
    assert r['img_shape'] == (7, 8)
    assert _boxes(r) == [[3, 3, 4, 4]]
    assert np.array_equal(r['homography_matrix'], [[1, 0, 2], [0, 1, 2], [0, 0, 1]])


def test_50_px_on_each_side_and_per_side_padding():
    img = _square_image(80, 100, (20, 10, 40, 30))
    r = PadSides(50, padding_mode='reflect')(_sample(img, [[20, 10, 40, 30], [0, 0, 100, 80]]))
    assert r['img'].shape[:2] == (180, 200)
    assert _boxes(r) == [[70, 60, 90, 80], [50, 50, 150, 130]]
    # the square (rows 10-29) is mirrored about row 0 (padded row 50) into padded rows 21-40
    column = r['img'][:50, 75, 0]
    assert np.nonzero(column)[0].tolist() == list(range(21, 41))
    r = PadSides((1, 2, 3, 4), padding_mode='constant', pad_val=7)(_sample(img, [[20, 10, 40, 30]]))
    assert r['img'].shape[:2] == (80 + 2 + 4, 100 + 1 + 3)
    assert _boxes(r) == [[21, 12, 41, 32]]
    assert r['img'][0, 0, 0] == 7


def test_rotation_by_90_degrees_about_the_image_centre():
    """mmdet's Rotate turns clockwise (positive magnitude) about ((w - 1) / 2,
    (h - 1) / 2) = (49.5, 49.5): (x, y) -> (99 - y, x), so box (10, 20, 30, 60)
    -> x in [99 - 60, 99 - 20], y in [10, 30]. The pixels move to [40, 80) x
    [10, 30): mmdet turns box corners about the centre of pixel indices, half a
    pixel off the continuous centre (50, 50), 1 px at 90 deg (0.4 px at most
    within the paper's +-30 deg)."""
    img = _square_image(100, 100, (10, 20, 30, 60))
    rot = Rotate(prob=1.0, min_mag=90.0, max_mag=90.0, reversal_prob=1.0, img_border_value=0)
    r = rot(_sample(img, [[10, 20, 30, 60]]))
    assert _boxes(r) == [[39, 10, 79, 30]]
    assert _bright_box(r['img']) == [40, 10, 80, 30]
    # reversal (-90 deg, counter-clockwise): (x, y) -> (y, 99 - x)
    rot = Rotate(prob=1.0, min_mag=90.0, max_mag=90.0, reversal_prob=0.0, img_border_value=0)
    assert _boxes(rot(_sample(img, [[10, 20, 30, 60]]))) == [[20, 69, 60, 89]]


def test_rotation_angles_cover_plus_minus_30_degrees():
    step = Config.fromfile(str(AUGMENTATION)).paper_augmentation[1]
    rot = Rotate(**{k: v for k, v in step.items() if k != 'type'})
    np.random.seed(0)
    mags = np.array([rot._get_mag() for _ in range(400)])
    assert mags.min() >= -30 and mags.max() <= 30
    assert mags.min() < -25 and mags.max() > 25 and 0.4 < (mags > 0).mean() < 0.6


def _fixed_crop(left, top, right, bottom, **kw):
    crop = RandomCropSides(**kw)
    crop._crops = lambda: np.array([left, top, right, bottom])
    return crop


def test_crop_per_side_shifts_clips_and_drops_boxes():
    img = _square_image(80, 100, (20, 10, 40, 30))
    r = _sample(img, [[20, 10, 40, 30], [0, 0, 4, 4], [80, 60, 100, 80]], labels=[3, 4, 5])
    r['gt_ignore_flags'] = np.array([False, True, False])
    r = _fixed_crop(5, 7, 11, 13)(r)
    assert r['img'].shape[:2] == (80 - 7 - 13, 100 - 5 - 11) == r['img_shape']
    # box 2 (0..4 x 0..4) lies inside the left/top crops: dropped with its label and flag;
    # box 3 reaches the right and bottom crops: clipped to the 84 x 60 image
    assert _boxes(r) == [[15, 3, 35, 23], [80 - 5, 60 - 7, 84, 60]]
    assert r['gt_bboxes_labels'].tolist() == [3, 5]
    assert r['gt_ignore_flags'].tolist() == [False, False]
    assert _bright_box(r['img']) == [15, 3, 35, 23]
    assert np.array_equal(r['homography_matrix'], [[1, 0, -5], [0, 1, -7], [0, 0, 1]])


def test_crop_amounts_are_drawn_per_side_within_the_range():
    crop = RandomCropSides(max_crop=64)
    np.random.seed(0)
    draws = np.array([crop._crops() for _ in range(300)])
    assert draws.min() == 0 and draws.max() == 64
    assert (draws[:, 0] != draws[:, 2]).mean() > 0.9   # left and right drawn apart
    img = np.zeros((300, 300, 3), np.uint8)
    r = crop(_sample(img, [[0, 0, 300, 300]]))
    assert 300 - 128 <= r['img'].shape[0] <= 300 and 300 - 128 <= r['img'].shape[1] <= 300


def test_crop_keeps_a_pixel_of_a_small_image_and_an_image_without_boxes():
    r = _fixed_crop(64, 0, 64, 0)(_sample(np.zeros((10, 100, 3), np.uint8), [[0, 0, 5, 5]]))
    # 64 + 64 >= 100: both scaled by 99 / 128 -> 49 each, 2 px stay
    assert r['img'].shape[:2] == (10, 100 - 2 * 49)
    assert len(r['gt_bboxes']) == 0 and r['gt_bboxes_labels'].shape == (0, )
    with pytest.raises(ValueError, match='min_crop'):
        RandomCropSides(max_crop=-1)


@pytest.mark.parametrize('seed', range(4))
def test_the_whole_pipeline_keeps_box_and_pixels_together(seed):
    """Pad 50 (reflect), rotate by a random angle, crop each side, resize to
    240 x 240: the box stays the enclosing box of the (rotated, scaled)
    bright square, to interpolation (1.5 px)."""
    aug = Config.fromfile(str(AUGMENTATION)).paper_augmentation
    pipeline = Compose([TRANSFORMS.build(s) for s in aug])
    box = (90, 60, 150, 100)
    np.random.seed(seed)
    r = pipeline(_sample(_square_image(200, 260, box), [box]))
    assert r['img'].shape[:2] == (240, 240)
    assert np.abs(np.array(_boxes(r)[0]) - _bright_box(r['img'])).max() <= 1.5
    # the box grew by the rotation's enclosing box and the 240 / (size after crop) scale
    sx, sy = r['scale_factor']
    assert 240 / (260 + 100) <= sx <= 240 / (260 + 100 - 128)
    assert 240 / (200 + 100) <= sy <= 240 / (200 + 100 - 128)


def test_numpy_boxes_stay_numpy():
    """LoadAnnotations(box_type=None) gives an array; both transforms keep it."""
    r = _sample(np.zeros((80, 100, 3), np.uint8), [[20, 10, 40, 30], [0, 0, 4, 4]])
    r['gt_bboxes'] = r['gt_bboxes'].numpy()
    r = _fixed_crop(5, 7, 0, 0)(PadSides(3)(r))
    assert isinstance(r['gt_bboxes'], np.ndarray)
    # +3 then -(5, 7): the second box, [-2, -4, 2, 0] after clipping [0, 0, 2, 0], is dropped
    assert r['gt_bboxes'].tolist() == [[18, 6, 38, 26]]
    assert r['gt_bboxes_labels'].tolist() == [0]
