# Benchmark kit on the paper's data, for a GPU (issue 15; Pianese, Table 2 row
# 3): Faster R-CNN R50-FPN (ImageNet backbone), Adam lr 1e-4 without schedule,
# class-balanced batches of 32, DeepLesion's 8 lesion types at 512 px, 110
# epochs, BenchmarkMetric at IoU 0.21 and 0.5 every 10 epochs. The other rows
# change one knob each (configs/grids/benchmark_r50.py).
_base_ = [
    '../_base_/models/faster-rcnn_r50_fpn.py', '../_base_/datasets/deeplesion.py',
    '../_base_/schedules/schedule_adam_12e_bench.py', '../_base_/default_runtime.py'
]
# ---- knobs the benchmark matrix varies (grid cfg_options) -------------------
# model.backbone: init_cfg torchvision://resnet50 | None (+ frozen_stages=-1,
#   norm_eval=False: from scratch every stage and its batch norm train)
# optim_wrapper.optimizer: Adam lr 1e-4 | SGD lr 2e-5 momentum 0.9
# train_dataloader.sampler.type: ClassBalancedSampler | DefaultSampler
# augmentation: the grid's frcnn-r6-aug240 (pipeline of _base_/benchmark_augmentation.py)
# -----------------------------------------------------------------------------
model = dict(roi_head=dict(bbox_head=dict(num_classes=8)))
train_cfg = dict(max_epochs=110, val_interval=10)
auto_scale_lr = dict(base_batch_size=32)
default_hooks = dict(checkpoint=dict(interval=10))
