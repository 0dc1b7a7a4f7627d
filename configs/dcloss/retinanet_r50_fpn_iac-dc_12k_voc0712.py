# +IAC +DC: the dynamic coefficient loss on the positives' classification loss.
_base_ = './retinanet_r50_fpn_iac_12k_voc0712.py'
model = dict(bbox_head=dict(loss_weighters=dict(cls=[dict(type='DCWeighter')])))
