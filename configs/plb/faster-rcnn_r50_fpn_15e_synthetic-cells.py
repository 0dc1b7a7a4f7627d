# PLB baseline on the synthetic smears with the paper's model and schedule:
# Faster R-CNN R50-FPN (PLB family heads, no weighting) at 640 px, 15 epochs,
# batch 4. Meant for a GPU; offline, add --cfg-options model.backbone.init_cfg=None.
_base_ = [
    '../_base_/models/faster-rcnn_r50_fpn_plb.py', '../_base_/datasets/synthetic_cells_640.py',
    '../_base_/schedules/schedule_plb_step3.py', '../_base_/default_runtime.py'
]
model = dict(roi_head=dict(bbox_head=dict(num_classes=3)))
train_dataloader = dict(batch_size=4)
train_cfg = dict(val_interval=5)
