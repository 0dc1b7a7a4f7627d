# The CPU-friendly Faster R-CNN (faster-rcnn_r18_fpn_tiny.py) with the PLB
# family's heads and RPN box loss (see faster-rcnn_r50_fpn_plb.py).
_base_ = './faster-rcnn_r18_fpn_tiny.py'
model = dict(
    rpn_head=dict(
        type='BoxWeightedRPNHead',
        loss_weighters=dict(),
        loss_bbox=dict(_delete_=True, type='SmoothL1Loss', beta=1.0 / 9.0, loss_weight=1.0)),
    roi_head=dict(
        bbox_head=dict(type='BoxWeightedShared2FCBBoxHead', loss_weighters=dict())))
