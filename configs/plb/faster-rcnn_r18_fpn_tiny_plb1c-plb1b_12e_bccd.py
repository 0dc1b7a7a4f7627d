# PLB1C + PLB1B on BCCD (CPU model): both RPN losses pixel-level balanced.
_base_ = './faster-rcnn_r18_fpn_tiny_plb1c_12e_bccd.py'
model = dict(rpn_head=dict(loss_weighters=dict(reg=[dict(type='PLBWeighter')])))
