# Zhang et al. baseline for CPU: the CPU-friendly RetinaNet (ResNet-18, from
# scratch, 320 px, 12 epochs at batch 4) with plb_mm's head, nothing switched
# on (= stock mmdet).
_base_ = '../retinanet/retinanet_r18_fpn_tiny_12e_synthetic-cells.py'
model = dict(bbox_head=dict(type='BoxWeightedRetinaHead', loss_weighters=dict()))
