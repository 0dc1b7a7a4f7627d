# SLA-Det's Table 9 in small (issue 14): the Table 8 rows with the AttriHead
# (LR, LR+PL, LR+PL+triplet, each + AttriHead) on the synthetic SLA-Det smears
# with the CPU YOLOX, 30 epochs (the paper's attribute schedule; triplet for
# the first 10). Table: COCO mAP / mAP50 and the attribute F1 of the matched
# detections (IoU 0.5) per attribute and macro, on the 40 fully annotated
# validation smears. The rows without the head are configs/grids/sladet_tiny.py
# (a separate grid so that each table has only the columns its rows report).
#   python tools/grid.py run configs/grids/sladet_attri_tiny.py
name = 'sladet_attri_tiny'
baseline = 'lr-attri'
_c = 'configs/sladet/yolox_tiny_{}-attri_30e_synthetic-sladet.py'
variants = {
    'lr-attri': _c.format('lr'),
    'lr-pl-attri': _c.format('lr-pl'),
    'lr-pl-triplet-attri': _c.format('lr-pl-triplet'),
}
seeds = [0, 1, 2]
metrics = [
    'coco/bbox_mAP', 'coco/bbox_mAP_50', 'attr/nuclear_chromatin_F1', 'attr/nuclear_shape_F1',
    'attr/nucleus_F1', 'attr/cytoplasm_F1', 'attr/cytoplasmic_basophilia_F1',
    'attr/cytoplasmic_vacuoles_F1', 'attr/macro_F1', 'attr/coverage'
]
