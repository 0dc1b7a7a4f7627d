# Table 2 row 6: row 3 plus the paper's augmentation (reflect pad 50 px, rotate
# +-30 deg, crop 0-64 px per side, resize to 240x240), tested at 240x240.
_base_ = [
    './faster-rcnn_r18_fpn_tiny_balanced-adam_12e_synthetic-cells.py',
    '../_base_/benchmark_augmentation.py'
]
train_dataloader = dict(dataset=dict(pipeline=[
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True),
    *_base_.paper_augmentation,
    dict(type='PackDetInputs')
]))
val_dataloader = dict(dataset=dict(
    pipeline=[dict(type='LoadImageFromFile'), *_base_.paper_test_steps]))
test_dataloader = val_dataloader
