# The BDE paper's schedule (Li et al. 2021, Sec. 4.1): 10k iterations, lr 0.001
# divided by 10 at 5k and 7.5k. The paper does not give the optimizer, batch
# size or warm-up: SGD momentum 0.9, weight decay 1e-4, batch 2 (one image on
# each of its two GPUs) and mmdet's 500-iteration linear warm-up are ours.
# (Iteration-based: the configs that use it set default_hooks.checkpoint and
# log_processor to by_epoch=False.)
train_cfg = dict(type='IterBasedTrainLoop', max_iters=10000, val_interval=2500)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=500),
    dict(type='MultiStepLR', begin=0, end=10000, by_epoch=False, milestones=[5000, 7500],
         gamma=0.1)
]
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.001, momentum=0.9, weight_decay=0.0001))
auto_scale_lr = dict(enable=False, base_batch_size=2)
