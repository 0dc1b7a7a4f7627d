# Table 3: CL-balanced NMS instead of NMS at test time (training as the baseline).
_base_ = './retinanet_r50_fpn_12k_voc0712.py'
model = dict(test_cfg=dict(nms=dict(type='cl_balanced_nms', iou_threshold=0.5)))
