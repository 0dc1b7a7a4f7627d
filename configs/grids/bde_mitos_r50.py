# The BDE paper's Tables 1 and 2 (MITOS-ATYPIA-14, R50-FPN, 4-fold
# cross-validation): FPN, label smoothing, ProSelfLC and BDE trained on the
# full annotations and on one mitosis per training image; the test folds stay
# fully annotated. A GPU job (10k iterations at 800x800 per run); the data
# comes from configs/_base_/datasets/mitos_atypia_14.py's commands.
#   python tools/grid.py run configs/grids/bde_mitos_r50.py
_base_ = '../_base_/grids/kfold_files.py'
name = 'bde_mitos_r50'
baseline = 'fpn'
_c = 'configs/bde/faster-rcnn_r50_fpn_{}10k_mitos-atypia-14.py'
_one = {'train_dataloader.dataset.sparsify': dict(one_per_image=True, seed=0)}
variants = {
    'fpn': _c.format(''),
    'ls': _c.format('ls_'),
    'proselflc': _c.format('proselflc_'),
    'bde': _c.format('bde_'),
    'fpn-one': dict(config=_c.format(''), cfg_options=_one),
    'ls-one': dict(config=_c.format('ls_'), cfg_options=_one),
    'proselflc-one': dict(config=_c.format('proselflc_'), cfg_options=_one),
    'bde-one': dict(config=_c.format('bde_'), cfg_options=_one),
}
folds = [1, 2, 3, 4]
seeds = [0]
metrics = ['pascal_voc/recall', 'pascal_voc/mAP']
