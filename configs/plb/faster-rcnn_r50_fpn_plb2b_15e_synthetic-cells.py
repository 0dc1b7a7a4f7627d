# PLB2B: pixel level balancing of the RoI box regression loss (sampled
# positive RoIs, the RoI boxes).
_base_ = './faster-rcnn_r50_fpn_15e_synthetic-cells.py'
model = dict(roi_head=dict(bbox_head=dict(loss_weighters=dict(reg=[dict(type='PLBWeighter')]))))
