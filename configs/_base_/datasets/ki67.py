# Ki-67 tumour cells (the BDE paper's dense-distribution set, private: bring
# your own in the key-point layout of docs/sparse_data.md), each key point made
# into a 32x32 box, 3 folds by image. Needs:
#   python tools/dataset_converters/ki67_2coco.py data/ki67 --out data/ki67/annotations/ki67.json
#   python tools/misc/kfold_split.py data/ki67/annotations/ki67.json \
#       --folds 3 --seed 0 --out-dir data/ki67/annotations/folds
# ~100 cells a patch: its configs keep up to 300 detections an image (the recall
# would otherwise be capped by max_per_img). Fold 1 here;
# configs/grids/bde_ki67_r50.py sets the fold and the retention rate.
_base_ = './coco_detection.py'
data_root = 'data/ki67/'
classes = ('tumor',)
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
