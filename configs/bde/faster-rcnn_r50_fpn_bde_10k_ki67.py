# BDE (Li et al. 2021): each background RoI's classification loss times its
# boxes density energy over the image's sampled RoIs.
_base_ = './faster-rcnn_r50_fpn_10k_ki67.py'
model = dict(roi_head=dict(bbox_head=dict(loss_weighters=dict(cls=[dict(type='BDEWeighter')]))))
