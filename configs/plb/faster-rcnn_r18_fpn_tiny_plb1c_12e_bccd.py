# PLB1C on BCCD (CPU model): pixel level balancing of the RPN objectness loss.
_base_ = './faster-rcnn_r18_fpn_tiny_12e_bccd.py'
model = dict(rpn_head=dict(loss_weighters=dict(cls=[dict(type='PLBWeighter')])))
