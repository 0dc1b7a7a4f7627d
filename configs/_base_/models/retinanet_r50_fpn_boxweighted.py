# RetinaNet R50-FPN (mmdet's) with plb_mm's BoxWeightedRetinaHead: without
# loss weighters and with MaxIoUAssigner it is the stock model (tested), and it
# can take the three parts of Zhang et al. (SPEC section 3) from config:
#   DC loss:   model.bbox_head.loss_weighters = dict(cls=[dict(type='DCWeighter')])
#   IAC:       model.train_cfg.assigner = dict(type='IoUClsAwareAssigner', ...)
#   CL-NMS:    model.test_cfg.nms = dict(type='cl_balanced_nms', iou_threshold=0.5)
_base_ = './retinanet_r50_fpn.py'
model = dict(bbox_head=dict(type='BoxWeightedRetinaHead', loss_weighters=dict()))
