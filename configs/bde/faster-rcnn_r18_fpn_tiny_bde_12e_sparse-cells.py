# BDE (Li et al. 2021): the RoI classification loss of each background RoI
# times its boxes density energy over the image's sampled RoIs.
_base_ = './faster-rcnn_r18_fpn_tiny_12e_sparse-cells.py'
model = dict(roi_head=dict(bbox_head=dict(loss_weighters=dict(cls=[dict(type='BDEWeighter')]))))
