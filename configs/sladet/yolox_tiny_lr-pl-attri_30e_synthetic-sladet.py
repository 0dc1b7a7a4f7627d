# SLA-Det** (paper Table 9): LR + PL + AttriHead, 30 epochs. The pseudo-label
# term as in yolox_tiny_lr-pl_50e_synthetic-sladet.py.
_base_ = './yolox_tiny_lr-attri_30e_synthetic-sladet.py'
model = dict(bbox_head=dict(pseudo_label=dict(min_area={{_base_.min_area}}, loss_weight=0.1)))
