# PLB baseline on real BCCD for the CPU: the ResNet-18 Faster R-CNN of the
# synthetic ablation (from scratch, 12 epochs, batch 4) at 320x320, trained on
# trainval and evaluated on test (configs/_base_/datasets/bccd_320.py).
_base_ = [
    '../_base_/models/faster-rcnn_r18_fpn_tiny_plb.py', '../_base_/datasets/bccd_320.py',
    '../_base_/schedules/schedule_12e_scratch.py', '../_base_/default_runtime.py'
]
model = dict(
    backbone=dict(init_cfg=None),  # from scratch: no download needed
    roi_head=dict(bbox_head=dict(num_classes=3)))
default_hooks = dict(logger=dict(interval=10), checkpoint=dict(interval=4))
