# +DC alone on BCCD (not a row of the paper's Table 2): the dynamic coefficient
# loss with the stock MaxIoUAssigner, to separate its effect from IAC's.
_base_ = './retinanet_r18_fpn_tiny_12e_bccd.py'
model = dict(bbox_head=dict(loss_weighters=dict(cls=[dict(type='DCWeighter')])))
