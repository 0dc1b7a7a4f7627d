# The CPU-friendly RetinaNet trained from scratch on the synthetic smears
# (the RetinaNet counterpart of configs/quickstart).
_base_ = [
    '../_base_/models/retinanet_r18_fpn_tiny.py',
    '../_base_/datasets/synthetic_cells.py',
    '../_base_/schedules/schedule_1x.py', '../_base_/default_runtime.py'
]
model = dict(
    backbone=dict(init_cfg=None),  # from scratch: no download needed
    bbox_head=dict(num_classes=3))

train_cfg = dict(max_epochs=12, val_interval=12)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=100),
    dict(type='MultiStepLR', begin=0, end=12, by_epoch=True, milestones=[9, 11],
         gamma=0.1)
]
optim_wrapper = dict(optimizer=dict(lr=0.01), clip_grad=dict(max_norm=10))
auto_scale_lr = dict(base_batch_size=4)
default_hooks = dict(logger=dict(interval=10), checkpoint=dict(interval=4))
