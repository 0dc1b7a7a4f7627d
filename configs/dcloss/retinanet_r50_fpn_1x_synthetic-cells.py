# Zhang et al. baseline on the synthetic smears with the paper's model:
# RetinaNet R50-FPN at 640 px (the 320 px smears upscaled), mmdet's 1x schedule
# at batch 8, plb_mm's head with nothing switched on (= stock mmdet). Meant for
# a GPU; offline, add --cfg-options model.backbone.init_cfg=None.
_base_ = '../retinanet/retinanet_r50_fpn_1x_synthetic-cells.py'
model = dict(bbox_head=dict(type='BoxWeightedRetinaHead', loss_weighters=dict()))
