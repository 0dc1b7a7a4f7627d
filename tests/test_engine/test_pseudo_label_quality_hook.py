"""PseudoLabelQualityHook: hand-made matching, the hidden boxes moved into the
input frame, the head's pseudo labels as its loss uses them, and the hook on
a fake runner (the model's buffers untouched)."""
import json
from types import SimpleNamespace

import numpy as np
import torch
from mmengine.logging import MessageHub
from mmengine.model import BaseDataPreprocessor
from torch import nn

from mmdet.structures import DetDataSample
from plb_mm.engine.hooks import (PseudoLabelQualityHook, hidden_boxes_in_input_frame,
                                 match_pseudo_labels)

from ..test_models.test_dense_heads.test_sladet_yolox_head import (GT0, PSEUDO_A, TRIPLET_B,
                                                                   _gts, _head, _meta, _outputs)


def test_matching_is_one_to_one_by_score_and_class_aware():
    gt = torch.tensor([[0., 0., 10., 10.], [20., 0., 30., 10.]])
    gt_labels = torch.tensor([0, 1])
    pred = torch.tensor([[0., 0., 10., 10.],     # = gt 0, class 0: true
                         [0., 0., 10., 12.],     # IoU 100/120 = 0.83 with gt 0, taken: false
                         [20., 0., 30., 10.],    # = gt 1 but class 0: false
                         [0., 0., 10., 20.]])    # IoU 0.5 with gt 0 (taken)
    scores = torch.tensor([0.9, 0.99, 0.8, 0.7])
    labels = torch.tensor([0, 0, 0, 0])
    # by score: pred 1 (0.99) takes gt 0 first (IoU 0.83 >= 0.5), pred 0 then finds nothing
    assert match_pseudo_labels(pred, scores, labels, gt, gt_labels) == 1
    assert match_pseudo_labels(pred, scores, labels, gt, torch.zeros(2, dtype=torch.long)) == 2
    assert match_pseudo_labels(pred[3:], scores[3:], labels[3:], gt, gt_labels, 0.5) == 1
    assert match_pseudo_labels(pred[3:], scores[3:], labels[3:], gt, gt_labels, 0.51) == 0
    assert match_pseudo_labels(torch.zeros(0, 4), torch.zeros(0), labels[:0], gt, gt_labels) == 0
    assert match_pseudo_labels(pred, scores, labels, torch.zeros(0, 4), gt_labels[:0]) == 0


def test_hidden_boxes_follow_resize_and_flip():
    boxes = np.array([[32., 16., 64., 48.]])
    meta = dict(scale_factor=(0.5, 0.5), img_shape=(64, 64), flip=False)
    assert hidden_boxes_in_input_frame(boxes, meta).tolist() == [[16, 8, 32, 24]]
    meta.update(flip=True, flip_direction='horizontal')
    assert hidden_boxes_in_input_frame(boxes, meta).tolist() == [[32, 8, 48, 24]]
    meta.update(flip_direction='diagonal')
    assert hidden_boxes_in_input_frame(boxes, meta).tolist() == [[32, 40, 48, 56]]


def test_head_pseudo_labels_are_those_its_loss_uses():
    head = _head(pseudo_label=dict(min_area=50.), triplet=dict())
    outs = _outputs({**PSEUDO_A, **TRIPLET_B})
    pseudo = head.predict_pseudo_labels(*outs, [_meta()])
    # A is a pseudo label; B (conf 0.82) is a triplet candidate, not a pseudo label
    assert pseudo[0].bboxes.tolist() == [[32, 8, 48, 24]] and pseudo[0].labels.tolist() == [0]
    head.use_triplet = False  # (the triplet would need neck features)
    assert head.loss_by_feat(*outs, _gts(GT0), [_meta()])['num_pseudo'].item() == 1


class _FakeDetector(nn.Module):
    """``mode='tensor'`` gives fixed head outputs (pseudo box A of the head
    tests) after a BatchNorm pass over the inputs."""

    def __init__(self):
        super().__init__()
        self.data_preprocessor = BaseDataPreprocessor()
        self.bn = nn.BatchNorm2d(3)
        self.bbox_head = _head(pseudo_label=dict(min_area=50.))

    def forward(self, inputs, data_samples, mode):
        assert mode == 'tensor'
        self.bn(torch.stack(inputs).float())
        return _outputs(PSEUDO_A)


def test_hook_logs_precision_and_recall(tmp_path):
    # training image 7 at 0.5 scale, flipped horizontally; region = the left half
    # of the input frame. Hidden boxes (file frame, 128 px): A's truth [32, 16, 64, 48]
    # -> [32, 8, 48, 24] (outside: a match); [64, 80, 96, 112] -> [16, 40, 32, 56]
    # (centre (24, 48) inside the region: not counted); [0, 80, 32, 112] ->
    # [48, 40, 64, 56] (outside, unmatched). Category 1 is 'a', label 0.
    ann = dict(images=[dict(id=7, file_name='a.png', width=128, height=128)],
               categories=[dict(id=3, name='b'), dict(id=1, name='a')],
               annotations=[dict(id=i, image_id=7, category_id=1, bbox=b, iscrowd=0)
                            for i, b in enumerate([[32, 16, 32, 32], [64, 80, 32, 32],
                                                   [0, 80, 32, 32]])])
    (tmp_path / 'full.json').write_text(json.dumps(ann))
    hook = PseudoLabelQualityHook(str(tmp_path / 'full.json'), interval=5)
    model = _FakeDetector()
    runner = SimpleNamespace(
        model=model, iter=4, message_hub=MessageHub.get_instance('test_pl_quality'),
        train_dataloader=SimpleNamespace(dataset=SimpleNamespace(metainfo=dict(classes=('a', 'b')))))
    hook.before_train(runner)
    sample = DetDataSample(metainfo=dict(_meta(), img_id=7, scale_factor=(0.5, 0.5), flip=True,
                                         flip_direction='horizontal'))
    batch = dict(inputs=[torch.rand(3, 64, 64) * 9], data_samples=[sample])
    bn_before = {k: v.clone() for k, v in model.bn.state_dict().items()}
    hook.before_train_iter(runner, 4, batch)
    scalars = runner.message_hub.log_scalars
    assert scalars['train/pl_num'].current() == 1
    assert scalars['train/pl_precision'].current() == 1.0
    assert scalars['train/pl_precision_agnostic'].current() == 1.0
    assert scalars['train/pl_recall'].current() == 0.5
    for k, v in model.bn.state_dict().items():  # the model's running statistics untouched
        assert torch.equal(v, bn_before[k])
    runner.iter = 5                             # not a measured iteration
    hook.before_train_iter(runner, 5, batch)
    assert len(scalars['train/pl_num'].data[0]) == 1
