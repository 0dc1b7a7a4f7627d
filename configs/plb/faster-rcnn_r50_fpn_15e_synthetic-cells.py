# PLB baseline on the synthetic smears with the paper's model and schedule:
# Faster R-CNN R50-FPN (PLB family heads, no weighting) at 640 px (the 320 px
# smears upscaled, so platelets reach the 32 px anchors), 15 epochs, batch 4.
# Meant for a GPU; offline, add --cfg-options model.backbone.init_cfg=None.
_base_ = [
    '../_base_/models/faster-rcnn_r50_fpn_plb.py', '../_base_/datasets/synthetic_cells.py',
    '../_base_/schedules/schedule_plb_step3.py', '../_base_/default_runtime.py'
]
model = dict(roi_head=dict(bbox_head=dict(num_classes=3)))
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
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
train_cfg = dict(val_interval=5)
