# ProSelfLC (Wang et al. 2021) on the RoI classification loss, its trust
# schedule fed by ProSelfLCProgressHook (plb_mm's three hooks listed again).
_base_ = './faster-rcnn_r50_fpn_10k_ki67.py'
model = dict(roi_head=dict(bbox_head=dict(loss_cls=dict(
    _delete_=True, type='ProSelfLCLoss', exp_base=16, transit_time_ratio=0.5))))
custom_hooks = [
    dict(type='WeightsOnlyCheckpointHook'), dict(type='RunMetricsHook'),
    dict(type='DivergenceHook'), dict(type='ProSelfLCProgressHook')
]
