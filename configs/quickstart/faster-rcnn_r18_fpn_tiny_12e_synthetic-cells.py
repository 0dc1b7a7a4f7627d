# Quick start: the CPU-friendly Faster R-CNN trained from scratch on the
# synthetic blood smears (generated into data/synthetic_cells/ on first use).
_base_ = [
    '../_base_/models/faster-rcnn_r18_fpn_tiny.py',
    '../_base_/datasets/synthetic_cells.py',
    '../_base_/schedules/schedule_12e_scratch.py', '../_base_/default_runtime.py'
]
model = dict(
    backbone=dict(init_cfg=None),  # from scratch: no download needed
    roi_head=dict(bbox_head=dict(num_classes=3)))
default_hooks = dict(logger=dict(interval=10), checkpoint=dict(interval=4))
