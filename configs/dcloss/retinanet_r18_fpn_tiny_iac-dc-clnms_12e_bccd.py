# +IAC +DC +CL-NMS on BCCD: classification-localization balanced NMS at test time.
_base_ = './retinanet_r18_fpn_tiny_iac-dc_12e_bccd.py'
model = dict(test_cfg=dict(nms=dict(type='cl_balanced_nms', iou_threshold=0.5)))
