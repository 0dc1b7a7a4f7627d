# +IAC +DC on BCCD: the dynamic coefficient loss on the positives' classification loss.
_base_ = './retinanet_r18_fpn_tiny_iac_12e_bccd.py'
model = dict(bbox_head=dict(loss_weighters=dict(cls=[dict(type='DCWeighter')])))
