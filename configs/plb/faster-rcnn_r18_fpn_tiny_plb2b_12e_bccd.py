# PLB2B on BCCD (CPU model): pixel level balancing of the RoI box regression loss.
_base_ = './faster-rcnn_r18_fpn_tiny_12e_bccd.py'
model = dict(roi_head=dict(bbox_head=dict(loss_weighters=dict(reg=[dict(type='PLBWeighter')]))))
