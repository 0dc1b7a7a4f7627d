# A CPU-friendly Faster R-CNN: ResNet-18, 64-channel FPN, a lighter RoI head and
# fewer proposals; anchors of base size 16 at stride 4 so that cells of 6-16 px
# (platelets in the synthetic smears) get positive anchors. Batch norm trains
# (frozen statistics only make sense with pretrained weights).
_base_ = './faster-rcnn_r50_fpn.py'
model = dict(
    backbone=dict(
        depth=18,
        frozen_stages=-1,
        norm_eval=False,
        init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet18')),
    neck=dict(in_channels=[64, 128, 256, 512], out_channels=64),
    rpn_head=dict(
        in_channels=64, feat_channels=64,
        anchor_generator=dict(scales=[4])),
    roi_head=dict(
        bbox_roi_extractor=dict(out_channels=64),
        bbox_head=dict(in_channels=64, fc_out_channels=256)),
    train_cfg=dict(
        rpn_proposal=dict(nms_pre=1000, max_per_img=300),
        rcnn=dict(sampler=dict(num=256))),
    test_cfg=dict(rpn=dict(nms_pre=500, max_per_img=300)))
