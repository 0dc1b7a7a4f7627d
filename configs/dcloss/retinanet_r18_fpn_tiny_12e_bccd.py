# Zhang et al.'s baseline on real BCCD for the CPU (issue 11): the RetinaNet of
# the synthetic ablation (ResNet-18, from scratch, 12 epochs at batch 4) at
# 320x320, trained on trainval and evaluated on test with the size bands in
# the paper's 416x416 frame (configs/_base_/datasets/bccd_320.py). plb_mm's
# head with nothing switched on (= stock mmdet).
_base_ = [
    '../_base_/models/retinanet_r18_fpn_tiny.py', '../_base_/datasets/bccd_320.py',
    '../_base_/schedules/schedule_12e_scratch.py', '../_base_/default_runtime.py'
]
model = dict(
    backbone=dict(init_cfg=None),  # from scratch: no download needed
    bbox_head=dict(type='BoxWeightedRetinaHead', loss_weighters=dict(), num_classes=3))
optim_wrapper = dict(optimizer=dict(lr=0.01))
default_hooks = dict(logger=dict(interval=10), checkpoint=dict(interval=4))
