# The BDE paper's Table 3 in small on the synthetic smears with the CPU model
# (issue 12): FPN baseline, label smoothing, ProSelfLC, BDE and BDE + PLB1C,
# trained with 10 %, 50 % and 100 % of each training image's boxes (the
# dropped cells stay in the images, unlabelled; validation is fully
# annotated), and a control: BDE's mean weight on every negative, no density.
# Reports the paper's 11-point AP and recall at IoU 0.5 and COCO AP.
#   python tools/grid.py run configs/grids/bde_sparse_tiny.py
name = 'bde_sparse_tiny'
baseline = 'fpn-r0.1'
_c = 'configs/bde/faster-rcnn_r18_fpn_tiny_{}12e_sparse-cells.py'
_r = 'train_dataloader.dataset.sparsify'
variants = {
    'fpn-r0.1': dict(config=_c.format(''), cfg_options={_r: dict(ratio=0.1, seed=0)}),
    'ls-r0.1': dict(config=_c.format('ls_'), cfg_options={_r: dict(ratio=0.1, seed=0)}),
    'proselflc-r0.1': dict(config=_c.format('proselflc_'), cfg_options={_r: dict(ratio=0.1, seed=0)}),
    'bde-r0.1': dict(config=_c.format('bde_'), cfg_options={_r: dict(ratio=0.1, seed=0)}),
    'bde-plb1c-r0.1': dict(config=_c.format('bde-plb1c_'), cfg_options={_r: dict(ratio=0.1, seed=0)}),
    'fpn-r0.5': dict(config=_c.format(''), cfg_options={_r: dict(ratio=0.5, seed=0)}),
    'ls-r0.5': dict(config=_c.format('ls_'), cfg_options={_r: dict(ratio=0.5, seed=0)}),
    'proselflc-r0.5': dict(config=_c.format('proselflc_'), cfg_options={_r: dict(ratio=0.5, seed=0)}),
    'bde-r0.5': dict(config=_c.format('bde_'), cfg_options={_r: dict(ratio=0.5, seed=0)}),
    'bde-plb1c-r0.5': dict(config=_c.format('bde-plb1c_'), cfg_options={_r: dict(ratio=0.5, seed=0)}),
    'fpn-r1.0': dict(config=_c.format(''), cfg_options={_r: dict(ratio=1.0, seed=0)}),
    'ls-r1.0': dict(config=_c.format('ls_'), cfg_options={_r: dict(ratio=1.0, seed=0)}),
    'proselflc-r1.0': dict(config=_c.format('proselflc_'), cfg_options={_r: dict(ratio=1.0, seed=0)}),
    'bde-r1.0': dict(config=_c.format('bde_'), cfg_options={_r: dict(ratio=1.0, seed=0)}),
    'bde-plb1c-r1.0': dict(config=_c.format('bde-plb1c_'), cfg_options={_r: dict(ratio=1.0, seed=0)}),
    # control (ours): BDE's mean negative weight without the density, at r = 0.1
    'negw-r0.1': dict(config=_c.format('negw_'), cfg_options={_r: dict(ratio=0.1, seed=0)}),
}
seeds = [0, 1, 2]
metrics = ['pascal_voc/mAP', 'pascal_voc/recall', 'coco/bbox_mAP', 'coco/bbox_mAP_50']
