# Paper-sized SLA-Det model for GPU users: the paper trains YOLOv5x at 640 px;
# YOLOX-x (deepen 1.33, widen 1.25) is its YOLOX counterpart. Same head and
# switches as yolox_tiny_sladet.py.
_base_ = './yolox_tiny_sladet.py'
model = dict(
    backbone=dict(deepen_factor=1.33, widen_factor=1.25),
    neck=dict(in_channels=[320, 640, 1280], out_channels=320, num_csp_blocks=4),
    bbox_head=dict(in_channels=320, feat_channels=320))
