# PLB1C + PLB2C: PLB1C plus pixel level balancing of the RoI classification loss.
_base_ = './faster-rcnn_r50_fpn_plb1c_10e_voc07.py'
model = dict(roi_head=dict(bbox_head=dict(loss_weighters=dict(cls=[dict(type='PLBWeighter')]))))
