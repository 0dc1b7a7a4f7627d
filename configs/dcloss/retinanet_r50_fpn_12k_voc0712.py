# Zhang et al. baseline on Pascal VOC (Table 2): RetinaNet R50-FPN trained on
# VOC 2007+2012 trainval, tested on VOC 2007 test (VOC mAP), 12k iterations at
# batch 16, plb_mm's head with nothing switched on (= stock mmdet).
_base_ = [
    '../_base_/models/retinanet_r50_fpn_boxweighted.py', '../_base_/datasets/voc0712.py',
    '../_base_/schedules/schedule_12k_voc.py', '../_base_/default_runtime.py'
]
model = dict(bbox_head=dict(num_classes=20))
default_hooks = dict(checkpoint=dict(by_epoch=False, interval=4000))
log_processor = dict(by_epoch=False)
