# SLA-Det*** (paper Table 9): LR + PL + triplet + AttriHead, 30 epochs, the
# triplet for the first 10 (the paper's attribute schedule, Section 5.2).
_base_ = './yolox_tiny_lr-pl-attri_30e_synthetic-sladet.py'
model = dict(bbox_head=dict(triplet=dict(sign='standard', margin=0.05, loss_weight=0.1)))
custom_hooks = [
    dict(type='WeightsOnlyCheckpointHook'), dict(type='RunMetricsHook'),
    dict(type='DivergenceHook'), dict(type='TripletSwitchHook', until_epoch=10)
]
