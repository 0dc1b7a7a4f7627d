# Point-annotated cells made into boxes (the BDE paper's data sets: MITOS-ATYPIA-14,
# Ki-67), read at 800x800 as the paper's input, one fold of k-fold files
# (tools/misc/kfold_split.py: annotations/folds/fold<k>_{train,test}.json under
# data_root). Its children set data_root and the classes; the k-fold grids set
# the fold (configs/_base_/grids/kfold_files.py).
_base_ = './coco_detection.py'
data_root = 'data/cells/'
classes = ('cell',)
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
    # 'instances': CocoMetric's ground truth when it has no ann_file (below)
    dict(type='PackDetInputs',
         meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor', 'instances'))
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
