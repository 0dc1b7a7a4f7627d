# RetinaNet R50-FPN (mmdet's) on the synthetic smears, upscaled to 640 px so
# that platelets (6-16 px) reach the 32 px anchors at stride 8. Meant for a GPU
# (8 images per GPU); the backbone loads torchvision's ImageNet weights
# (pass --cfg-options model.backbone.init_cfg=None to train from scratch offline).
_base_ = [
    '../_base_/models/retinanet_r50_fpn.py',
    '../_base_/datasets/synthetic_cells.py',
    '../_base_/schedules/schedule_1x.py', '../_base_/default_runtime.py'
]
model = dict(bbox_head=dict(num_classes=3))

img_scale = (640, 640)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(type='RandomFlip', prob=0.5, direction=['horizontal', 'vertical']),
    dict(type='PackDetInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='PackDetInputs',
         meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor'))
]
train_dataloader = dict(batch_size=8, num_workers=4, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(batch_size=8, num_workers=4, dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
optim_wrapper = dict(optimizer=dict(lr=0.005))  # 0.01 x 8 / 16
auto_scale_lr = dict(base_batch_size=8)
default_hooks = dict(logger=dict(interval=10))
