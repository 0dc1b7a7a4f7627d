"""Size bands in another frame, by hand: a 40 x 40 box in a 640 x 480 image
has area 1600 (medium); in a 416 x 416 frame it is 26 x 34.67, area 901.3
(small). AP over all sizes does not change."""
import json

import numpy as np
import pytest
import torch

from plb_mm.evaluation import RescaledCocoMetric


@pytest.fixture
def ann_file(tmp_path):
    path = tmp_path / 'ann.json'
    path.write_text(json.dumps(dict(
        images=[dict(id=1, file_name='a.jpg', width=640, height=480)],
        categories=[dict(id=1, name='cell')],
        annotations=[dict(id=1, image_id=1, category_id=1, bbox=[100, 100, 40, 40], area=1600,
                          iscrowd=0),
                     dict(id=2, image_id=1, category_id=1, bbox=[300, 200, 200, 150],
                          area=30000, iscrowd=0)])))
    return str(path)


def _evaluate(metric, boxes):
    pred = dict(bboxes=torch.tensor(boxes, dtype=torch.float32),
                scores=torch.tensor([0.9, 0.8][:len(boxes)]),
                labels=torch.zeros(len(boxes), dtype=torch.long))
    metric.dataset_meta = dict(classes=('cell', ))
    metric.process({}, [dict(img_id=1, ori_shape=(480, 640), pred_instances=pred)])
    return metric.evaluate(1)


@pytest.mark.parametrize('eval_size, small, medium', [(None, -1.0, 1.0), ((416, 416), 1.0, -1.0)])
def test_bands_follow_the_frame(ann_file, eval_size, small, medium, tmp_path):
    metric = RescaledCocoMetric(ann_file=ann_file, eval_size=eval_size,
                                outfile_prefix=str(tmp_path / 'r'))
    m = _evaluate(metric, [[100, 100, 140, 140], [300, 200, 500, 350]])
    assert m['coco/bbox_mAP'] == 1.0
    assert m['coco/bbox_mAP_s'] == small and m['coco/bbox_mAP_m'] == medium
    # 200 x 150 -> 130 x 130 at 416: area 16900, large (>= 96^2 = 9216) in both frames
    assert m['coco/bbox_mAP_l'] == 1.0


def test_iou_is_unchanged_by_the_frame(ann_file, tmp_path):
    """A prediction of IoU 0.64 with the small box (shifted 8 px right):
    AP50 counts it, AP75 not, in both frames."""
    for size in (None, (416, 416)):
        m = _evaluate(RescaledCocoMetric(ann_file=ann_file, eval_size=size,
                                         outfile_prefix=str(tmp_path / 'r')),
                      [[108, 100, 148, 140]])
        assert m['coco/bbox_mAP_50'] == pytest.approx(0.505, abs=0.01)  # 1 of 2 GTs found
        assert m['coco/bbox_mAP_75'] == 0.0


def test_needs_ann_file():
    with pytest.raises(ValueError, match='eval_size needs ann_file'):
        RescaledCocoMetric(eval_size=(416, 416))
