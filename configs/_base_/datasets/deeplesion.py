# DeepLesion key slices with the 8 lesion types, as the benchmark paper uses
# them (Pianese, Sec. 2.1; docs/benchmark_kit.md, DeepLesion). DeepLesion types
# only its validation and test lesions, so the typed slices are merged and
# split by patient (the paper does not say how it split them):
#   python tools/dataset_converters/deeplesion2coco.py data/DeepLesion --merge-splits
#   python tools/misc/kfold_split.py data/DeepLesion/annotations/deeplesion_all.json \
#       --folds 4 --seed 0 --group-by patient --out-dir data/DeepLesion/annotations/folds
# Fold 1 (3/4 of the patients train, 1/4 test). 16-bit slices windowed to
# -1024..3071 HU (LoadDeepLesionSlice), native 512 px; class-balanced batches
# of 32 (the paper's, 4 per class); BenchmarkMetric at IoU 0.21 and 0.5.
_base_ = './coco_detection.py'
data_root = 'data/DeepLesion/'
classes = ('bone', 'abdomen', 'mediastinum', 'liver', 'lung', 'kidney', 'soft_tissue',
           'pelvis')
metainfo = dict(classes=classes)
img_scale = (512, 512)
train_pipeline = [
    dict(type='LoadDeepLesionSlice', window=(-1024, 3071)),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(type='PackDetInputs')
]
test_pipeline = [
    dict(type='LoadDeepLesionSlice', window=(-1024, 3071)),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='PackDetInputs',
         meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor'))
]
train_dataloader = dict(
    batch_size=32,  # 4 images drawn for each of the 8 types
    num_workers=8,
    # unbalanced (row 1): sampler.type='DefaultSampler' (configs/_base_/datasets/
    # synthetic_cells_benchmark.py says why no batch_size here)
    sampler=dict(_delete_=True, type='ClassBalancedSampler'),
    batch_sampler=None,
    dataset=dict(
        data_root=data_root, metainfo=metainfo, ann_file='annotations/folds/fold1_train.json',
        data_prefix=dict(img=''), filter_cfg=dict(filter_empty_gt=True, min_size=1),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=8,
    num_workers=8,
    dataset=dict(
        data_root=data_root, metainfo=metainfo, ann_file='annotations/folds/fold1_test.json',
        data_prefix=dict(img=''), pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = [
    dict(type='BenchmarkMetric', iou_thr=0.21),
    dict(type='BenchmarkMetric', iou_thr=0.5, prefix='bench50'),
]
test_evaluator = val_evaluator
