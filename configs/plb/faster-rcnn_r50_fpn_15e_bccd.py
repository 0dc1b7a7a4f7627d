# PLB baseline on BCCD (paper Tables 3-4): Faster R-CNN R50-FPN with the PLB
# family's heads and no weighting, the authors' schedule (15 epochs, batch 4).
_base_ = [
    '../_base_/models/faster-rcnn_r50_fpn_plb.py', '../_base_/datasets/bccd.py',
    '../_base_/schedules/schedule_plb_step3.py', '../_base_/default_runtime.py'
]
model = dict(roi_head=dict(bbox_head=dict(num_classes=3)))
