# +IAC +DC +CL-NMS: classification-localization balanced NMS at test time.
_base_ = './retinanet_r50_fpn_iac-dc_12k_voc0712.py'
model = dict(test_cfg=dict(nms=dict(type='cl_balanced_nms', iou_threshold=0.5)))
