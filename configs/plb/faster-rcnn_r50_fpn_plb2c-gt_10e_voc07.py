# PLB2C with box_source='gt' (paper Table 1): positives take the area of their
# matched ground-truth box, negatives keep their RoI.
_base_ = './faster-rcnn_r50_fpn_plb2c_10e_voc07.py'
model = dict(roi_head=dict(bbox_head=dict(loss_weighters=dict(cls=[dict(type='PLBWeighter', box_source='gt')]))))
