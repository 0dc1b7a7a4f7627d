# SLA-Det, LR + PL + triplet loss (paper Table 8, the full method): the
# uncertain predictions outside the regions (t0 < conf <= t1) are pulled
# towards the GT features of their class (stride-8 neck level, RoIAlign,
# cosine), gain 0.1, for the first 40 of 50 epochs (TripletSwitchHook).
# sign='paper' gives Eq. 10 as printed (and the authors' code).
_base_ = './yolox_tiny_lr-pl_50e_synthetic-sladet.py'
model = dict(bbox_head=dict(triplet=dict(sign='standard', margin=0.05, loss_weight=0.1)))
custom_hooks = [
    dict(type='WeightsOnlyCheckpointHook'), dict(type='RunMetricsHook'),
    dict(type='DivergenceHook'), dict(type='TripletSwitchHook', until_epoch=40)
]
