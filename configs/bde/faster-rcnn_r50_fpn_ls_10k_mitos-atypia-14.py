# Label smoothing (Mueller et al. 2019) on the RoI classification loss, eps 0.1.
_base_ = './faster-rcnn_r50_fpn_10k_mitos-atypia-14.py'
model = dict(roi_head=dict(bbox_head=dict(loss_cls=dict(
    _delete_=True, type='LabelSmoothingCrossEntropyLoss', epsilon=0.1))))
