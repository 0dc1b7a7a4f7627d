# Benchmark kit's YOLO on the paper's data, for a GPU (issue 15; Pianese, Table
# 4 row 1's 416 px with fitted anchors and Table 2 row 3's training: ImageNet
# backbone, Adam lr 1e-4 without schedule, class-balanced batches of 32):
# mmdet's YOLOv3 Darknet-53, DeepLesion's 8 lesion types, 110 epochs,
# BenchmarkMetric at IoU 0.21 and 0.5 every 10 epochs. The other rows change
# one knob each (configs/grids/benchmark_r50.py).
_base_ = [
    '../_base_/models/yolov3_d53.py', '../_base_/datasets/deeplesion.py',
    '../_base_/schedules/schedule_adam_12e_bench.py', '../_base_/default_runtime.py'
]
# ---- knobs the benchmark matrix varies (grid cfg_options) -------------------
# model.backbone: init_cfg open-mmlab://darknet53 | None (+ norm_eval=False)
# optim_wrapper.optimizer: Adam lr 1e-4 | SGD lr 2e-5 momentum 0.9
# train_dataloader.sampler.type: ClassBalancedSampler | DefaultSampler
# train / test resolution: the Resize scales (and anchors x train scale / 416)
# -----------------------------------------------------------------------------
# Anchors (w, h) at 416 px: the paper's DeepLesion anchors (darknet's k-means,
# Sec. 3.2: 15,15 21,21 29,26 34,38 50,37 46,58 69,60 97,94 156,133 for its
# 869 px network) x 416 / 869, rounded. Fit them to your training file instead:
#   python .venv/lib/python3.11/site-packages/mmdet/.mim/tools/analysis_tools/optimize_anchors.py \
#       configs/benchmark/yolov3_d53_balanced-adam_416-110e_deeplesion.py \
#       --algorithm k-means --input-shape 416 416 --device cpu --iters 1000
# and write its 9 (w, h), sorted by area, smallest three last (stride 8).
model = dict(
    bbox_head=dict(
        num_classes=8,
        anchor_generator=dict(
            base_sizes=[[(33, 29), (46, 45), (75, 64)],
                        [(16, 18), (24, 18), (22, 28)],
                        [(7, 7), (10, 10), (14, 12)]])))
img_scale = (416, 416)  # the paper's first YOLO row trains and tests at 416
train_pipeline = [
    dict(type='LoadDeepLesionSlice', window=(-1024, 3071)),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(type='PackDetInputs')
]
test_pipeline = [
    dict(type='LoadDeepLesionSlice', window=(-1024, 3071)),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='PackDetInputs',
         meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor'))
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
train_cfg = dict(max_epochs=110, val_interval=10)
optim_wrapper = dict(clip_grad=dict(max_norm=35, norm_type=2))  # mmdet's YOLOv3 clipping
auto_scale_lr = dict(base_batch_size=32)
default_hooks = dict(checkpoint=dict(interval=10))
