# PLB baseline for CPU: the quick-start's ResNet-18 Faster R-CNN (from scratch,
# 12 epochs, batch 4, 320 px) with the PLB family's heads and RPN box loss and
# no weighting.
_base_ = [
    '../_base_/models/faster-rcnn_r18_fpn_tiny_plb.py', '../_base_/datasets/synthetic_cells.py',
    '../_base_/schedules/schedule_12e_scratch.py', '../_base_/default_runtime.py'
]
model = dict(
    backbone=dict(init_cfg=None),  # from scratch: no download needed
    roi_head=dict(bbox_head=dict(num_classes=3)))
default_hooks = dict(logger=dict(interval=10), checkpoint=dict(interval=4))
