# Zhang et al.'s Table 2 (and Table 3's NMS rows) on the synthetic smears with
# the CPU RetinaNet. The NMS rows change only the test: they evaluate the
# checkpoints of the row they build on (test_of) instead of training again.
# 'dc' (DC loss without IAC) and 'iac-miniou' (IAC promoting only anchors with
# IoU >= 0.3) are ours, to tell the parts apart and bound IAC.
#   python tools/grid.py run configs/grids/dcloss_ablation_tiny.py
name = 'dcloss_ablation_tiny'
baseline = 'baseline'
_c = 'configs/dcloss/retinanet_r18_fpn_tiny_{}12e_synthetic-cells.py'
variants = {
    'baseline': _c.format(''),
    'iac': _c.format('iac_'),
    'iac-dc': _c.format('iac-dc_'),
    'dc': _c.format('dc_'),  # not in the paper's table: DC without IAC
    'iac-miniou': _c.format('iac-miniou_'),  # not in the paper: IAC with an IoU floor of 0.3
    'iac-dc-clnms': dict(config=_c.format('iac-dc-clnms_'), test_of='iac-dc'),
    'softnms': dict(config=_c.format('softnms_'), test_of='baseline'),
    'clnms': dict(config=_c.format('clnms_'), test_of='baseline'),
}
seeds = [0, 1]
metrics = ['coco/bbox_mAP', 'coco/bbox_mAP_50', 'coco/bbox_mAP_75', 'coco/bbox_mAP_s',
           'coco/bbox_mAP_m', 'coco/bbox_mAP_l']
