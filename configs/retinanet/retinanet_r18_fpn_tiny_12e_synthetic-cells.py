# The CPU-friendly RetinaNet trained from scratch on the synthetic smears
# (the RetinaNet counterpart of configs/quickstart).
_base_ = [
    '../_base_/models/retinanet_r18_fpn_tiny.py',
    '../_base_/datasets/synthetic_cells.py',
    '../_base_/schedules/schedule_12e_scratch.py', '../_base_/default_runtime.py'
]
model = dict(
    backbone=dict(init_cfg=None),  # from scratch: no download needed
    bbox_head=dict(num_classes=3))

optim_wrapper = dict(optimizer=dict(lr=0.01))
default_hooks = dict(logger=dict(interval=10), checkpoint=dict(interval=4))
