# The README's main job (`make demo`): the CPU Faster R-CNN on the synthetic
# smears without and with PLB1C, one seed, 6 epochs (half the configs' 12, so
# that the demo takes minutes); prints the results table.
#   python tools/grid.py run configs/grids/quickstart.py
name = 'quickstart'
baseline = 'baseline'
_short = {
    'train_cfg.max_epochs': 6, 'train_cfg.val_interval': 6,
    'param_scheduler.1.end': 6, 'param_scheduler.1.milestones': [4, 5],
    'default_hooks.checkpoint.interval': 2,
}
variants = dict(
    baseline=dict(config='configs/plb/faster-rcnn_r18_fpn_tiny_12e_synthetic-cells.py',
                  cfg_options=_short),
    plb1c=dict(config='configs/plb/faster-rcnn_r18_fpn_tiny_plb1c_12e_synthetic-cells.py',
               cfg_options=_short),
)
seeds = [0]
metrics = ['coco/bbox_mAP', 'coco/bbox_mAP_50', 'coco/bbox_mAP_s', 'coco/bbox_mAP_m',
           'coco/bbox_mAP_l']
