# YOLOv3 with Darknet-53, as mmdet's configs/yolo/yolov3_d53_8xb8-ms-416-273e_coco.py
# (its COCO anchors at 416 px; inputs scaled to 0..1 as the Darknet weights
# expect). ImageNet backbone weights (open-mmlab://darknet53, downloaded on
# first use); from scratch: backbone.init_cfg=None and backbone.norm_eval=False.
_base_ = './yolov3_mobilenetv2.py'
model = dict(
    data_preprocessor=dict(mean=[0, 0, 0], std=[255., 255., 255.]),
    backbone=dict(
        _delete_=True,
        type='Darknet',
        depth=53,
        out_indices=(3, 4, 5),
        init_cfg=dict(type='Pretrained', checkpoint='open-mmlab://darknet53')),
    neck=dict(in_channels=[1024, 512, 256], out_channels=[512, 256, 128]),
    bbox_head=dict(
        in_channels=[512, 256, 128],
        out_channels=[1024, 512, 256],
        anchor_generator=dict(
            base_sizes=[[(116, 90), (156, 198), (373, 326)],
                        [(30, 61), (62, 45), (59, 119)],
                        [(10, 13), (16, 30), (33, 23)]])))
