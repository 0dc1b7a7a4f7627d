# BCCD for the CPU models: trained on trainval (292 images), evaluated on test
# (72 images; the validation of the schedule is on test, so the collected
# table reports test AP). Images are stretched to 320x320: the PLB paper used
# Roboflow's BCCD export (640x480 stretched to 416x416), and 416 -> 320 is the
# factor the CPU configs apply to the 416 px synthetic bccd_like smears, so
# cells have the same size in pixels in both (sqrt(area) medians: red cells
# ~59, white cells ~109, platelets ~23 px). The COCO size bands are taken in
# the 416x416 frame of the paper (RescaledCocoMetric): 45 of the 945 test
# boxes are small there (5 at 640x480). Needs the COCO files written by
#   python tools/dataset_converters/voc2coco.py data/BCCD --preset bccd \
#       --splits train val test trainval
_base_ = './bccd.py'
data_root = 'data/BCCD/'
img_scale = (320, 320)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='Resize', scale=img_scale, keep_ratio=False),
    dict(type='RandomFlip', prob=0.5, direction=['horizontal', 'vertical']),
    dict(type='PackDetInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=img_scale, keep_ratio=False),
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
val_evaluator = dict(type='RescaledCocoMetric', eval_size=(416, 416),
                     ann_file=data_root + 'annotations/bccd_test.json')
test_evaluator = val_evaluator
