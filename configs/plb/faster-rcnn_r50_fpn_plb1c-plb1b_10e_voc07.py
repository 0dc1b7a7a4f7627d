# PLB1C + PLB1B: both RPN losses pixel-level balanced.
_base_ = './faster-rcnn_r50_fpn_plb1c_10e_voc07.py'
model = dict(rpn_head=dict(loss_weighters=dict(reg=[dict(type='PLBWeighter')])))
