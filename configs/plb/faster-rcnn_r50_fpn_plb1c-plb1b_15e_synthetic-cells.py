# PLB1C + PLB1B: both RPN losses pixel-level balanced.
_base_ = './faster-rcnn_r50_fpn_plb1c_15e_synthetic-cells.py'
model = dict(rpn_head=dict(loss_weighters=dict(reg=[dict(type='PLBWeighter')])))
