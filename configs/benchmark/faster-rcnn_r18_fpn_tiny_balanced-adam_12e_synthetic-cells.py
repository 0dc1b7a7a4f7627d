# Benchmark kit, CPU Faster R-CNN (issue 15; Pianese, Table 2 row 3: pretrained
# backbone, Adam, balanced batches, no augmentation): the quick-start's
# ResNet-18 FPN (anchors of 16 px at stride 4) with stock mmdet heads on the
# synthetic smears at 320 px, batch 6 drawn by ClassBalancedSampler, Adam lr
# 1e-4 without schedule, 12 epochs, BenchmarkMetric at IoU 0.21 and 0.5.
# The other rows change one knob each (configs/grids/benchmark_tiny.py).
_base_ = [
    '../_base_/models/faster-rcnn_r18_fpn_tiny.py',
    '../_base_/datasets/synthetic_cells_benchmark.py',
    '../_base_/schedules/schedule_adam_12e_bench.py', '../_base_/default_runtime.py'
]
# ---- knobs the benchmark matrix varies (grid cfg_options) -------------------
# model.backbone.init_cfg: torchvision://resnet18 (ImageNet; downloaded once) | None
# optim_wrapper.optimizer: Adam lr 1e-4 | SGD lr 2e-5 momentum 0.9
# train_dataloader.sampler.type: ClassBalancedSampler | DefaultSampler
# augmentation: faster-rcnn_r18_fpn_tiny_balanced-adam-aug240_12e_synthetic-cells.py
# -----------------------------------------------------------------------------
model = dict(roi_head=dict(bbox_head=dict(num_classes=3)))
default_hooks = dict(logger=dict(interval=10), checkpoint=dict(interval=4))
