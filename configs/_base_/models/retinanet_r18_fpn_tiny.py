# A CPU-friendly RetinaNet: ResNet-18, 64-channel FPN from P2 (stride 4) so that
# anchors start at 16 px (synthetic platelets are 6-16 px), two stacked convs.
_base_ = './retinanet_r50_fpn.py'
model = dict(
    backbone=dict(
        depth=18,
        frozen_stages=-1,
        norm_eval=False,
        init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet18')),
    neck=dict(
        in_channels=[64, 128, 256, 512], out_channels=64, start_level=0,
        add_extra_convs='on_input', num_outs=5),
    bbox_head=dict(
        in_channels=64, feat_channels=64, stacked_convs=2,
        anchor_generator=dict(octave_base_scale=4, strides=[4, 8, 16, 32, 64])),
    test_cfg=dict(nms_pre=500))
