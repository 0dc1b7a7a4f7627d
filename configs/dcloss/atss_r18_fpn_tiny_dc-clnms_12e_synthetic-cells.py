# DC loss and CL-balanced NMS on a CPU-friendly ATSS (ResNet-18, 64-channel FPN
# from P2, from scratch) on the synthetic smears: the parts on a second mmdet
# dense head, from config alone.
_base_ = '../retinanet/retinanet_r18_fpn_tiny_12e_synthetic-cells.py'
model = dict(
    bbox_head=dict(
        _delete_=True, type='BoxWeightedATSSHead', num_classes=3, in_channels=64,
        stacked_convs=2, feat_channels=64,
        anchor_generator=dict(type='AnchorGenerator', ratios=[1.0], octave_base_scale=4,
                              scales_per_octave=1, strides=[4, 8, 16, 32, 64]),
        bbox_coder=dict(type='DeltaXYWHBBoxCoder', target_means=[.0, .0, .0, .0],
                        target_stds=[0.1, 0.1, 0.2, 0.2]),
        loss_cls=dict(type='FocalLoss', use_sigmoid=True, gamma=2.0, alpha=0.25,
                      loss_weight=1.0),
        loss_bbox=dict(type='GIoULoss', loss_weight=2.0),
        loss_centerness=dict(type='CrossEntropyLoss', use_sigmoid=True, loss_weight=1.0),
        loss_weighters=dict(cls=[dict(type='DCWeighter')])),
    train_cfg=dict(assigner=dict(_delete_=True, type='ATSSAssigner', topk=9)),
    test_cfg=dict(nms=dict(type='cl_balanced_nms', iou_threshold=0.6)))
