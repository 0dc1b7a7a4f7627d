# Control for BDE (ours, not a paper row): every background RoI's
# classification loss times one constant, the mean BDE energy of the negative
# RoIs on these smears at r = 0.1 (0.355: tools/analysis_tools/bde_energy.py on
# the FPN and BDE checkpoints of the grid, configs/bde/README.md). BDE minus
# its density: the gap between this row and BDE is what the density adds.
_base_ = './faster-rcnn_r18_fpn_tiny_12e_sparse-cells.py'
model = dict(roi_head=dict(bbox_head=dict(
    loss_weighters=dict(cls=[dict(type='NegativeScaleWeighter', weight=0.355)]))))
