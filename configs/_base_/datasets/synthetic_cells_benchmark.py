# The synthetic smears as the benchmark kit reads them (issue 15; paper:
# Pianese, Faster R-CNN vs YOLO on DeepLesion): class-balanced batches, no
# augmentation (the paper's rows 1-5; row 6's pipeline is
# configs/_base_/benchmark_augmentation.py), 320 px, and the paper's metrics
# at IoU 0.21 (`bench/...`) and 0.5 (`bench50/...`), written as Markdown and CSV
# into the run's log directory (docs/benchmark_kit.md, Evaluation).
# Balanced batches here: every training image holds red and white cells and
# 85 of 160 hold platelets, so an epoch is 3 x 160 draws (the platelet images
# about twice each); the smears are imbalanced by box (1845 RBC, 167 WBC, 145
# platelets), not by image as DeepLesion is.
_base_ = './synthetic_cells.py'
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='Resize', scale=_base_.img_scale, keep_ratio=True),
    dict(type='PackDetInputs')
]
train_dataloader = dict(
    batch_size=6,  # a multiple of the 3 classes: every batch draws 2 images for each
    # Unbalanced (the paper's row 1): sampler.type='DefaultSampler' (shuffled). No
    # batch_size here, so that this is the one key to change: with batches a
    # multiple of the classes each full batch is balanced anyway, only an epoch's
    # last batch can be short.
    sampler=dict(_delete_=True, type='ClassBalancedSampler'),
    batch_sampler=None,  # mmdet's AspectRatioBatchSampler would regroup the balanced order
    dataset=dict(pipeline=train_pipeline))
val_evaluator = [
    dict(type='BenchmarkMetric', iou_thr=0.21),
    dict(type='BenchmarkMetric', iou_thr=0.5, prefix='bench50'),
]
test_evaluator = val_evaluator
