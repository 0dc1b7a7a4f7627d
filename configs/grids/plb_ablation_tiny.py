# The PLB ablation (paper Tables 2-3) on the synthetic smears with the CPU model:
#   python tools/grid.py run configs/grids/plb_ablation_tiny.py
name = 'plb_ablation_tiny'
baseline = 'baseline'
_c = 'configs/plb/faster-rcnn_r18_fpn_tiny_{}12e_synthetic-cells.py'
variants = dict(
    baseline=_c.format(''),
    plb1c=_c.format('plb1c_'),
    plb1b=_c.format('plb1b_'),
    **{'plb1c-plb1b': _c.format('plb1c-plb1b_')},
    plb2c=_c.format('plb2c_'),
    plb2b=_c.format('plb2b_'),
)
seeds = [0, 1]
metrics = ['coco/bbox_mAP', 'coco/bbox_mAP_s', 'coco/bbox_mAP_m', 'coco/bbox_mAP_l']
