# PLB1B: pixel level balancing of the RPN box regression loss (sampled
# positive anchors, decoded predicted boxes).
_base_ = './faster-rcnn_r50_fpn_10e_voc07.py'
model = dict(rpn_head=dict(loss_weighters=dict(reg=[dict(type='PLBWeighter')])))
