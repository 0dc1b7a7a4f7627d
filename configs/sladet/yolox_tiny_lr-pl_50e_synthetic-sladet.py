# SLA-Det, LR + pseudo-label loss (paper Table 8): online pseudo-labels from the
# detached predictions outside the labelled regions (NMS, confidence > t1,
# area > min_area, class entropy < t2), gain 0.1.
_base_ = './yolox_tiny_lr_50e_synthetic-sladet.py'
model = dict(bbox_head=dict(pseudo_label=dict(min_area={{_base_.min_area}}, loss_weight=0.1)))
