# PLB2C: pixel level balancing of the RoI classification loss (sampled RoIs,
# the RoI boxes).
_base_ = './faster-rcnn_r50_fpn_15e_synthetic-cells.py'
model = dict(roi_head=dict(bbox_head=dict(loss_weighters=dict(cls=[dict(type='PLBWeighter')]))))
