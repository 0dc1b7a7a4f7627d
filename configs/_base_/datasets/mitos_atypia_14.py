# MITOS-ATYPIA-14 mitoses (the BDE paper's embedded-distribution set): the
# Hamamatsu x40 frames, each centroid made into a 32x32 box, in 4 folds by
# image (frames of one patient kept together). Needs (docs/sparse_data.md):
#   python tools/dataset_converters/mitos2coco.py data/mitos_atypia_14 \
#       --out data/mitos_atypia_14/annotations/mitos.json
#   python tools/misc/kfold_split.py data/mitos_atypia_14/annotations/mitos.json \
#       --folds 4 --seed 0 --group-by patient --out-dir data/mitos_atypia_14/annotations/folds
# The paper samples 393 patches of 1663x1485 px from the frames; we train on
# the frames as they are, resized to 800x800 as the paper's input.
# Fold 1 here; configs/grids/bde_mitos_r50.py sets the fold.
_base_ = './coco_detection.py'
data_root = 'data/mitos_atypia_14/'
classes = ('mitosis',)
metainfo = dict(classes=classes)
img_scale = (800, 800)
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
    batch_size=2,
    dataset=dict(
        data_root=data_root, metainfo=metainfo, ann_file='annotations/folds/fold1_train.json',
        data_prefix=dict(img=''), filter_cfg=dict(filter_empty_gt=True, min_size=1),
        pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(
        data_root=data_root, metainfo=metainfo, ann_file='annotations/folds/fold1_test.json',
        data_prefix=dict(img=''), pipeline=test_pipeline))
test_dataloader = val_dataloader
# the paper's metric (11-point AP and recall at IoU 0.5), and COCO AP (its
# ground truth from the evaluated data set, so the fold follows ann_file)
val_evaluator = [
    dict(type='VOCRecallMetric', iou_thrs=0.5, eval_mode='11points'),
    dict(type='CocoMetric', metric='bbox'),
]
test_evaluator = val_evaluator
