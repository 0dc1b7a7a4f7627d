# Zhang et al.'s VOC schedule: 12k iterations at batch 16 (2 x 8 GPUs), SGD lr
# 0.01, momentum 0.9, weight decay 1e-4, 500 warm-up iterations, lr x0.1 at 9k.
# (Set default_hooks.checkpoint.by_epoch=False and log_processor.by_epoch=False
# in the config that uses it.)
train_cfg = dict(type='IterBasedTrainLoop', max_iters=12000, val_interval=4000)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=500),
    dict(type='MultiStepLR', begin=0, end=12000, by_epoch=False, milestones=[9000], gamma=0.1)
]
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=0.0001))
auto_scale_lr = dict(enable=False, base_batch_size=16)
