# BCCD for the CPU models: trained on trainval (292 images), evaluated on test
# (72 images; the validation of the schedule is on test, so the collected
# table reports test AP), images resized with their aspect ratio to 320x240
# (half of 640x480). At that size platelets are ~23 px (COCO "small"), red
# cells ~58 px and white cells ~110 px (medium/large), so AP_small is the
# platelets' AP. Needs the COCO files written by
#   python tools/dataset_converters/voc2coco.py data/BCCD --preset bccd \
#       --splits train val test trainval
_base_ = './bccd.py'
data_root = 'data/BCCD/'
img_scale = (320, 240)
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
train_dataloader = dict(
    batch_size=4, num_workers=2, persistent_workers=True,
    dataset=dict(ann_file='annotations/bccd_trainval.json', pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=4, num_workers=2, persistent_workers=True,
    dataset=dict(ann_file='annotations/bccd_test.json', pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=data_root + 'annotations/bccd_test.json')
test_evaluator = val_evaluator
