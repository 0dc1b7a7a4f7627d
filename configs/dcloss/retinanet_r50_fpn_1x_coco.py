# Zhang et al. baseline on COCO (Tables 2-3): RetinaNet R50-FPN, mmdet's 1x
# schedule (12 epochs at batch 16 = the paper's 90k iterations, lr x0.1 at 8
# and 11 epochs), plb_mm's head with nothing switched on (= stock mmdet).
_base_ = [
    '../_base_/models/retinanet_r50_fpn_boxweighted.py', '../_base_/datasets/coco_detection.py',
    '../_base_/schedules/schedule_1x.py', '../_base_/default_runtime.py'
]
optim_wrapper = dict(optimizer=dict(lr=0.01))
