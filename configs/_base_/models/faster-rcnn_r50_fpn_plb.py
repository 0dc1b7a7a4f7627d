# Faster R-CNN R50-FPN for the PLB family (SPEC section 1): mmdet's model with
# the heads that take per-box loss weights (none by default, i.e. stock mmdet)
# and the RPN box loss of the authors' torchvision code (SmoothL1, beta 1/9).
# PLB positions: rpn_head.loss_weighters.cls = PLB1C, .reg = PLB1B;
# roi_head.bbox_head.loss_weighters.cls = PLB2C, .reg = PLB2B.
_base_ = './faster-rcnn_r50_fpn.py'
model = dict(
    rpn_head=dict(
        type='BoxWeightedRPNHead',
        loss_weighters=dict(),
        loss_bbox=dict(_delete_=True, type='SmoothL1Loss', beta=1.0 / 9.0, loss_weight=1.0)),
    roi_head=dict(
        bbox_head=dict(type='BoxWeightedShared2FCBBoxHead', loss_weighters=dict())))
