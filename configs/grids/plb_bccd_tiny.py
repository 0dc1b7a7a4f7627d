# The PLB ablation on real BCCD with the CPU model (issue 11): baseline, PLB1C,
# PLB1B and PLB1C+PLB1B over three seeds, then PLB2C/PLB2B.
#   python tools/dataset_converters/voc2coco.py data/BCCD --preset bccd --splits train val test trainval
#   python tools/grid.py run configs/grids/plb_bccd_tiny.py
name = 'plb_bccd_tiny'
baseline = 'baseline'
_c = 'configs/plb/faster-rcnn_r18_fpn_tiny_{}12e_bccd.py'
variants = {
    'baseline': _c.format(''),
    'plb1c': _c.format('plb1c_'),
    'plb1b': _c.format('plb1b_'),
    'plb1c-plb1b': _c.format('plb1c-plb1b_'),
    'plb2c': _c.format('plb2c_'),
    'plb2b': _c.format('plb2b_'),
}
seeds = [0, 1, 2]
metrics = ['coco/bbox_mAP', 'coco/bbox_mAP_50', 'coco/bbox_mAP_s', 'coco/bbox_mAP_m',
           'coco/bbox_mAP_l']
