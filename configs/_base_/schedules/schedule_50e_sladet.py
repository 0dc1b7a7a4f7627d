# 50 epochs for SLA-Det's YOLOX (the paper's WBC-detection run, Section 5.2),
# with the paper's YOLOv5 optimiser (Section 5.1): SGD lr 0.01 -> 0.001
# (linear decay after a 3-epoch warm-up), momentum 0.937 (Nesterov), weight
# decay 5e-4 (none on norms and biases), batch 4; gradient clipping (the CPU
# models train from scratch and spike early); one validation at the end.
# No EMA and no YOLOX mode switch (the synthetic pipeline has no mosaic).
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=50, val_interval=50)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, end_factor=1.0, by_epoch=True, begin=0, end=3,
         convert_to_iter_based=True),
    dict(type='LinearLR', start_factor=1.0, end_factor=0.1, by_epoch=True, begin=3, end=50,
         convert_to_iter_based=True)
]
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.01, momentum=0.937, weight_decay=5e-4, nesterov=True),
    paramwise_cfg=dict(norm_decay_mult=0., bias_decay_mult=0.),
    clip_grad=dict(max_norm=10))
auto_scale_lr = dict(enable=False, base_batch_size=4)
