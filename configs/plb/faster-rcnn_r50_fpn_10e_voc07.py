# PLB baseline on Pascal VOC 2007 (paper Tables 1-2, COCO metric): Faster R-CNN
# R50-FPN with the PLB family's heads and no weighting, the authors' schedule
# for VOC (10 epochs, batch 4; warm-up capped at 1000 iterations as in their code).
_base_ = [
    '../_base_/models/faster-rcnn_r50_fpn_plb.py', '../_base_/datasets/voc07_coco.py',
    '../_base_/schedules/schedule_plb_step3.py', '../_base_/default_runtime.py'
]
model = dict(roi_head=dict(bbox_head=dict(num_classes=20)))
max_epochs = 10
train_cfg = dict(max_epochs=max_epochs)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=1000),
    dict(type='StepLR', step_size=3, gamma=0.1, by_epoch=True, begin=0, end=max_epochs)
]
