# DC loss and CL-balanced NMS on ATSS (mmdet's atss_r50_fpn_1x_coco) from config
# alone: plb_mm's BoxWeightedATSSHead is ATSSHead plus per-box weights on its
# classification loss. (ATSS keeps its own assigner: IAC is a MaxIoU variant.)
_base_ = 'mmdet::atss/atss_r50_fpn_1x_coco.py'
custom_imports = dict(imports=['plb_mm'], allow_failed_imports=False)
model = dict(
    bbox_head=dict(type='BoxWeightedATSSHead',
                   loss_weighters=dict(cls=[dict(type='DCWeighter')])),
    test_cfg=dict(nms=dict(type='cl_balanced_nms', iou_threshold=0.6)))
