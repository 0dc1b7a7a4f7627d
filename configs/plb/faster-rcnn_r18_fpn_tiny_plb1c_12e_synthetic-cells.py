# PLB1C: pixel level balancing of the RPN objectness loss (sampled anchors,
# decoded predicted boxes).
_base_ = './faster-rcnn_r18_fpn_tiny_12e_synthetic-cells.py'
model = dict(rpn_head=dict(loss_weighters=dict(cls=[dict(type='PLBWeighter')])))
