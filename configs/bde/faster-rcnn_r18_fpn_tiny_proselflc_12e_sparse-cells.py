# ProSelfLC (Wang et al. 2021) on the RoI classification loss; its trust
# schedule follows training progress through ProSelfLCProgressHook (custom_hooks
# replaces the base list: plb_mm's three hooks are listed again).
_base_ = './faster-rcnn_r18_fpn_tiny_12e_sparse-cells.py'
model = dict(roi_head=dict(bbox_head=dict(loss_cls=dict(
    _delete_=True, type='ProSelfLCLoss', exp_base=16, transit_time_ratio=0.5))))
custom_hooks = [
    dict(type='WeightsOnlyCheckpointHook'), dict(type='RunMetricsHook'),
    dict(type='DivergenceHook'), dict(type='ProSelfLCProgressHook')
]
