# +IAC +DC +CL-NMS: classification-localization balanced NMS at test time.
_base_ = './retinanet_r18_fpn_tiny_iac-dc_12e_synthetic-cells.py'
model = dict(test_cfg=dict(nms=dict(type='cl_balanced_nms', iou_threshold=0.5)))
