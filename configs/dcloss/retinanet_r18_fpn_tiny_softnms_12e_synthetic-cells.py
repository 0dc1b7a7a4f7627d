# Table 3: Soft-NMS instead of NMS at test time (training as the baseline).
_base_ = './retinanet_r18_fpn_tiny_12e_synthetic-cells.py'
model = dict(test_cfg=dict(nms=dict(type='soft_nms', iou_threshold=0.5, min_score=0.05)))
