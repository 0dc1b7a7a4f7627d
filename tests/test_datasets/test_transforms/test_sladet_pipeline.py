"""The data path end to end: a COCO file with labelled regions and
attributes through CheckedCocoDataset and a YOLOX-style pipeline."""
import json

import cv2
import numpy as np
import pytest
from mmcv.transforms import Compose
from mmdet.datasets import MultiImageMixDataset
from mmdet.datasets.transforms import Pad, YOLOXHSVRandomAug
from mmengine.registry import DefaultScope

from plb_mm.datasets import CheckedCocoDataset

from .sladet_results import code, regions_of, sample


@pytest.fixture(autouse=True)
def mmdet_scope():
    """Pipelines are built as a config builds them (``default_scope='mmdet'``)."""
    with DefaultScope.overwrite_default_scope('mmdet'):
        yield


def test_pad_and_hsv_need_no_region_version():
    r = sample(w=100, h=80, boxes=[[10, 20, 30, 40]], regions=[[10, 20, 30, 40], [0, 0, 100, 80]])
    r['img'][:] = 128
    r = YOLOXHSVRandomAug()(Pad(size=(128, 128))(r))      # pads right and below
    assert r['img'].shape[:2] == (128, 128)
    assert regions_of(r) == [[10, 20, 30, 40], [0, 0, 100, 80]]   # the padding is unlabelled
    assert r['gt_attributes'].tolist() == [code(0)]


def _coco(tmp_path):
    """Four 64 x 64 images; every box has its own class, its attributes spell it."""
    images, anns = [], []
    regions = [None, [[0, 0, 32, 32]], [[16, 16, 48, 64], [0, 40, 10, 50]], []]
    for i in range(4):
        cv2.imwrite(str(tmp_path / f'{i}.png'), np.full((64, 64, 3), 60 * i, np.uint8))
        images.append(dict(id=i + 1, file_name=f'{i}.png', width=64, height=64))
        if regions[i] is not None:
            images[-1]['labeled_regions'] = regions[i]
        for j in range(3):
            k = len(anns)
            anns.append(dict(id=k + 1, image_id=i + 1, category_id=k + 1, iscrowd=0,
                             bbox=[4 + 18 * j, 6 + 15 * j, 8 + 2 * j, 10], area=10 * (8 + 2 * j),
                             attributes=code(k)))
    cats = [dict(id=k + 1, name=f'c{k}') for k in range(len(anns))]
    (tmp_path / 'ann.json').write_text(json.dumps(dict(images=images, annotations=anns,
                                                       categories=cats)))
    return [c['name'] for c in cats]


def test_yolox_style_pipeline_keeps_regions_and_attributes_in_step(tmp_path):
    classes = _coco(tmp_path)
    dataset = CheckedCocoDataset(
        data_root=str(tmp_path), ann_file='ann.json', data_prefix=dict(img=''),
        metainfo=dict(classes=classes), filter_cfg=dict(filter_empty_gt=False),
        pipeline=[dict(type='LoadImageFromFile'), dict(type='LoadSLADetAnnotations')])
    assert dataset.get_data_info(0)['labeled_regions'] is None
    assert dataset.get_data_info(3)['labeled_regions'].shape == (0, 4)
    img_scale = (64, 64)
    mixed = MultiImageMixDataset(dataset, pipeline=[
        dict(type='RegionMosaic', img_scale=img_scale, pad_val=114.0),
        dict(type='RegionRandomAffine', scaling_ratio_range=(0.5, 1.5),
             border=(-img_scale[0] // 2, -img_scale[1] // 2)),
        dict(type='YOLOXHSVRandomAug'),
        dict(type='RegionRandomFlip', prob=0.5, direction=['horizontal', 'vertical']),
        dict(type='RegionResize', scale=(96, 96), keep_ratio=True),
        dict(type='Pad', pad_to_square=True, pad_val=dict(img=(114.0, 114.0, 114.0))),
        dict(type='RegionFilterAnnotations', min_gt_bbox_wh=(1, 1), keep_empty=False),
        dict(type='PackSLADetInputs'),
    ])
    np.random.seed(0)
    n_regions = 0
    for i in range(8):
        packed = mixed[i % 4]
        h, w = packed['inputs'].shape[1:]
        data_sample = packed['data_samples']
        gt = data_sample.gt_instances
        assert gt.attributes.tolist() == [code(int(lab)) for lab in gt.labels]
        regions = data_sample.metainfo['labeled_regions']
        assert (regions[:, 2] > regions[:, 0]).all() and (regions[:, 3] > regions[:, 1]).all()
        assert (regions >= 0).all() and (regions[:, 2] <= w).all() and (regions[:, 3] <= h).all()
        n_regions += len(regions)
    assert n_regions > 0


def test_a_whole_image_region_follows_the_image_through_a_pipeline():
    pipeline = Compose([dict(type='RegionRandomFlip', prob=1.0, direction='horizontal'),
                        dict(type='RegionResize', scale_factor=0.5),
                        dict(type='Pad', size=(64, 64)),
                        dict(type='PackSLADetInputs')])
    packed = pipeline(sample(w=100, h=80, boxes=[[0, 0, 10, 10]]))
    assert packed['data_samples'].metainfo['labeled_regions'].tolist() == [[0, 0, 50, 40]]
    assert packed['data_samples'].gt_instances.bboxes.numpy().tolist() == [[45, 0, 50, 5]]
