# The benchmark paper's optimiser (Pianese, Sec. 3.1): Adam, lr 1e-4, no
# learning-rate schedule ("We didn't use any learning rate scheduler"), no
# weight decay (PyTorch's Adam default), no warm-up, no clipping. 12 epochs,
# validated once at the end; the GPU configs train the paper's 110.
# The SGD rows replace the optimiser (grid cfg_options):
#   optim_wrapper.optimizer=dict(type='SGD', lr=2e-5, momentum=0.9)  (weight_decay stays 0)
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=12, val_interval=12)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
param_scheduler = []
optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-4, weight_decay=0))
auto_scale_lr = dict(enable=False, base_batch_size=6)
