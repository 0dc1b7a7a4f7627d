# Faster R-CNN R50-FPN (mmdet's) on the synthetic smears at 640 px, 8 images
# per GPU. Meant for a GPU; the backbone loads torchvision's ImageNet weights
# (pass --cfg-options model.backbone.init_cfg=None to train from scratch offline).
_base_ = [
    '../_base_/models/faster-rcnn_r50_fpn.py',
    '../_base_/datasets/synthetic_cells_640.py',
    '../_base_/schedules/schedule_1x.py', '../_base_/default_runtime.py'
]
model = dict(roi_head=dict(bbox_head=dict(num_classes=3)))
optim_wrapper = dict(optimizer=dict(lr=0.01))  # 0.02 x 8 / 16
auto_scale_lr = dict(base_batch_size=8)
default_hooks = dict(logger=dict(interval=10))
