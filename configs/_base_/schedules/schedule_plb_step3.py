# The PLB authors' schedule (torchvision's detection reference, as in their
# code): SGD lr 0.005, momentum 0.9, weight decay 5e-4, batch 4; linear warm-up
# over the first epoch (their code caps it at 1000 iterations, which only VOC
# reaches: its child config sets that); lr x0.1 every 3 epochs. BCCD trains
# 15 epochs, VOC 2007 10.
max_epochs = 15
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=1)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=True, begin=0, end=1,
         convert_to_iter_based=True),
    dict(type='StepLR', step_size=3, gamma=0.1, by_epoch=True, begin=0, end=max_epochs)
]
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.005, momentum=0.9, weight_decay=0.0005))
auto_scale_lr = dict(enable=False, base_batch_size=4)
