# BDE + PLB1C: density energy on the RoI classification loss and pixel level
# balancing of the RPN objectness loss (two terms, one mechanism).
_base_ = './faster-rcnn_r18_fpn_tiny_bde_12e_sparse-cells.py'
model = dict(rpn_head=dict(loss_weighters=dict(cls=[dict(type='PLBWeighter')])))
