# 12 epochs for the CPU-friendly models trained from scratch on the synthetic
# smears (batch 4): SGD lr 0.02 with 100 warm-up iterations, x0.1 at epochs 9
# and 11, gradient clipping (from-scratch training spikes early), one
# validation at the end.
_base_ = './schedule_1x.py'
train_cfg = dict(max_epochs=12, val_interval=12)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=100),
    dict(type='MultiStepLR', begin=0, end=12, by_epoch=True, milestones=[9, 11], gamma=0.1)
]
optim_wrapper = dict(optimizer=dict(lr=0.02), clip_grad=dict(max_norm=10))
auto_scale_lr = dict(base_batch_size=4)
