# BDE paper's FPN baseline for CPU on sparse annotations: the PLB family's
# ResNet-18 Faster R-CNN (from scratch, 12 epochs, batch 4, 320 px) trained on
# the synthetic smears with a fraction of each training image's boxes kept
# (the dropped cells stay in the images, unlabelled), evaluated on the fully
# annotated validation set with the paper's 11-point VOC AP and recall at
# IoU 0.5 beside COCO AP. Configs here vary the method; the grid
# (configs/grids/bde_sparse_tiny.py) varies the retention rate.
_base_ = '../plb/faster-rcnn_r18_fpn_tiny_12e_synthetic-cells.py'

# ---- the knob the grid varies: retention rate of the training boxes ----
sparsify = dict(ratio=0.5, seed=0)  # or dict(one_per_image=True, seed=0)

train_dataloader = dict(dataset=dict(sparsify=sparsify))
# COCO AP takes its ground truth from the evaluated data set (whatever
# data_root is), so the test pipeline (the base's, plus 'instances') passes them on
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale={{_base_.img_scale}}, keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='PackDetInputs',
         meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor', 'instances'))
]
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = [
    dict(type='VOCRecallMetric', iou_thrs=0.5, eval_mode='11points'),
    dict(type='CocoMetric', metric='bbox'),  # ground truth: 'instances' of the val set
]
test_evaluator = val_evaluator
