# PLB1C + PLB2C: PLB1C plus pixel level balancing of the RoI classification loss.
_base_ = './faster-rcnn_r18_fpn_tiny_plb1c_12e_synthetic-cells.py'
model = dict(roi_head=dict(bbox_head=dict(loss_weighters=dict(cls=[dict(type='PLBWeighter')]))))
