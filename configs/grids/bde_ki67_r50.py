# The BDE paper's Tables 3 and 4 (Ki-67, R50-FPN, 3-fold cross-validation): FPN,
# label smoothing, ProSelfLC and BDE trained with a retention rate r = 0.1 ...
# 1.0 of each training image's cells; the test folds stay fully annotated. A
# GPU job (10k iterations at 800x800 per run); the data comes from
# configs/_base_/datasets/ki67.py's commands.
#   python tools/grid.py run configs/grids/bde_ki67_r50.py
_base_ = '../_base_/grids/kfold_files.py'
name = 'bde_ki67_r50'
baseline = 'fpn-r1.0'
_c = 'configs/bde/faster-rcnn_r50_fpn_{}10k_ki67.py'


def _v(method, r):
    return dict(config=_c.format(method),
                cfg_options={'train_dataloader.dataset.sparsify': dict(ratio=r, seed=0)})


variants = {
    'fpn-r0.1': _v('', 0.1),
    'ls-r0.1': _v('ls_', 0.1),
    'proselflc-r0.1': _v('proselflc_', 0.1),
    'bde-r0.1': _v('bde_', 0.1),
    'fpn-r0.2': _v('', 0.2),
    'ls-r0.2': _v('ls_', 0.2),
    'proselflc-r0.2': _v('proselflc_', 0.2),
    'bde-r0.2': _v('bde_', 0.2),
    'fpn-r0.3': _v('', 0.3),
    'ls-r0.3': _v('ls_', 0.3),
    'proselflc-r0.3': _v('proselflc_', 0.3),
    'bde-r0.3': _v('bde_', 0.3),
    'fpn-r0.4': _v('', 0.4),
    'ls-r0.4': _v('ls_', 0.4),
    'proselflc-r0.4': _v('proselflc_', 0.4),
    'bde-r0.4': _v('bde_', 0.4),
    'fpn-r0.5': _v('', 0.5),
    'ls-r0.5': _v('ls_', 0.5),
    'proselflc-r0.5': _v('proselflc_', 0.5),
    'bde-r0.5': _v('bde_', 0.5),
    'fpn-r0.6': _v('', 0.6),
    'ls-r0.6': _v('ls_', 0.6),
    'proselflc-r0.6': _v('proselflc_', 0.6),
    'bde-r0.6': _v('bde_', 0.6),
    'fpn-r0.7': _v('', 0.7),
    'ls-r0.7': _v('ls_', 0.7),
    'proselflc-r0.7': _v('proselflc_', 0.7),
    'bde-r0.7': _v('bde_', 0.7),
    'fpn-r0.8': _v('', 0.8),
    'ls-r0.8': _v('ls_', 0.8),
    'proselflc-r0.8': _v('proselflc_', 0.8),
    'bde-r0.8': _v('bde_', 0.8),
    'fpn-r0.9': _v('', 0.9),
    'ls-r0.9': _v('ls_', 0.9),
    'proselflc-r0.9': _v('proselflc_', 0.9),
    'bde-r0.9': _v('bde_', 0.9),
    'fpn-r1.0': _v('', 1.0),
    'ls-r1.0': _v('ls_', 1.0),
    'proselflc-r1.0': _v('proselflc_', 1.0),
    'bde-r1.0': _v('bde_', 1.0),
}
folds = [1, 2, 3]
seeds = [0]
metrics = ['pascal_voc/mAP', 'pascal_voc/recall']
