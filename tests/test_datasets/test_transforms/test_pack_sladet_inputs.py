import numpy as np
import pytest
import torch

from mmdet.datasets.transforms import RandomCrop
from plb_mm.datasets.transforms import PackSLADetInputs

from .sladet_results import code, sample


def test_attributes_split_like_boxes_and_regions_in_metainfo():
    r = sample(boxes=[[0, 0, 10, 10], [5, 5, 15, 15], [20, 20, 30, 30]], ignore=[0, 1, 0],
               regions=[[10, 20, 30, 40]])
    sample_ = PackSLADetInputs()(r)['data_samples']
    assert sample_.gt_instances.attributes.dtype == torch.int64
    assert sample_.gt_instances.attributes.tolist() == [code(0), code(2)]
    assert sample_.gt_instances.labels.tolist() == [0, 2]
    assert sample_.ignored_instances.attributes.tolist() == [code(1)]
    regions = sample_.metainfo['labeled_regions']
    assert regions.dtype == np.float32 and regions.tolist() == [[10, 20, 30, 40]]


def test_nothing_labelled_and_no_regions_loaded():
    packed = PackSLADetInputs()(sample(regions=np.zeros((0, 4))))['data_samples']
    assert packed.metainfo['labeled_regions'].shape == (0, 4)
    assert packed.gt_instances.attributes.shape == (0, 6)
    r = sample()
    del r['gt_labeled_regions']
    assert 'labeled_regions' not in PackSLADetInputs()(r)['data_samples'].metainfo


def test_attributes_left_behind_by_an_mmdet_transform_are_refused():
    crop = RandomCrop(crop_size=(50, 40))   # mmdet's own: drops boxes, not attribute rows
    crop._rand_offset = lambda margin: (0, 0)
    r = crop(sample(boxes=[[0, 0, 10, 10], [90, 70, 100, 80]]))
    with pytest.raises(ValueError, match=r'gt_attributes has 2 rows for 1 boxes.*Region\*'):
        PackSLADetInputs()(r)
