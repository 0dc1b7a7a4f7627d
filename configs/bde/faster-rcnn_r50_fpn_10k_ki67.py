# The BDE paper's FPN baseline (Li et al. 2021, Sec. 4): Faster R-CNN R50-FPN
# with plb_mm's box-weighted heads and no weighting (= stock mmdet), 800x800
# input, 10k iterations. Full annotations of fold 1; the grid sets the fold
# and the sparse training sets.
_base_ = [
    '../_base_/models/faster-rcnn_r50_fpn_plb.py', '../_base_/datasets/ki67.py',
    '../_base_/schedules/schedule_10k_bde.py', '../_base_/default_runtime.py'
]
model = dict(
    test_cfg=dict(rcnn=dict(max_per_img=300)),  # ~100 cells a patch: recall not capped
    roi_head=dict(bbox_head=dict(num_classes=1)))
default_hooks = dict(checkpoint=dict(by_epoch=False, interval=2500, max_keep_ckpts=1))
log_processor = dict(by_epoch=False)
