# Runtime shared by every plb_mm config (mmdet's default_runtime plus plb_mm).
custom_imports = dict(imports=['plb_mm'], allow_failed_imports=False)
default_scope = 'mmdet'

default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=3),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='DetVisualizationHook'))

# What plb_mm runs rely on, declared here so that mmdet's own tools/train.py
# gives the same run (a child config that sets `custom_hooks` replaces this
# list: keep these three in it):
# - WeightsOnlyCheckpointHook: checkpoints that torch.load(weights_only=True) reads;
# - RunMetricsHook: <work_dir>/metrics.json (final metrics, status), and the
#   final validation when a resumed run lacks it;
# - DivergenceHook: a non-finite (or > 1e6) loss stops the run, naming the
#   iteration and the loss terms; no checkpoint with non-finite weights is saved.
custom_hooks = [
    dict(type='WeightsOnlyCheckpointHook'),
    dict(type='RunMetricsHook'),
    dict(type='DivergenceHook'),
]

env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'),  # plb_mm switches to gloo when there is no GPU
)

# Console, JSON scalars (vis_data/scalars.json) and TensorBoard (vis_data/).
# Weights & Biases: `tools/train.py --wandb` (or `wandb = dict(project=...)` in a
# config) adds mmengine's WandbVisBackend, offline unless WANDB_API_KEY is set.
vis_backends = [dict(type='LocalVisBackend'), dict(type='TensorboardVisBackend')]
visualizer = dict(
    type='DetLocalVisualizer', vis_backends=vis_backends, name='visualizer')
log_processor = dict(type='LogProcessor', window_size=50, by_epoch=True)

log_level = 'INFO'
load_from = None
resume = False
