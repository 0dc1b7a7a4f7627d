# PLB2B: pixel level balancing of the RoI box regression loss (sampled
# positive RoIs, the RoI boxes).
_base_ = './faster-rcnn_r18_fpn_tiny_12e_synthetic-cells.py'
model = dict(roi_head=dict(bbox_head=dict(loss_weighters=dict(reg=[dict(type='PLBWeighter')]))))
