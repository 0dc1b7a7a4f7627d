# Zhang et al.'s Table 2 on real BCCD with the CPU RetinaNet (issue 11):
# baseline, +IAC, +IAC+DC, +CL-NMS and DC alone over three seeds. The NMS rows
# change only the test: they evaluate the checkpoints of the row they build on
# (test_of) instead of training again.
#   python tools/dataset_converters/voc2coco.py data/BCCD --preset bccd --splits train val test trainval
#   python tools/grid.py run configs/grids/dcloss_bccd_tiny.py
name = 'dcloss_bccd_tiny'
baseline = 'baseline'
_c = 'configs/dcloss/retinanet_r18_fpn_tiny_{}12e_bccd.py'
variants = {
    'baseline': _c.format(''),
    'iac': _c.format('iac_'),
    'iac-dc': _c.format('iac-dc_'),
    'iac-dc-clnms': dict(config=_c.format('iac-dc-clnms_'), test_of='iac-dc'),
    'dc': _c.format('dc_'),  # not in the paper's table: DC without IAC
    'clnms': dict(config=_c.format('clnms_'), test_of='baseline'),
}
seeds = [0, 1, 2]
metrics = ['coco/bbox_mAP', 'coco/bbox_mAP_50', 'coco/bbox_mAP_75', 'coco/bbox_mAP_s',
           'coco/bbox_mAP_m', 'coco/bbox_mAP_l']
