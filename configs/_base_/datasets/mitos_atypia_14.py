# MITOS-ATYPIA-14 mitoses (the BDE paper's embedded-distribution set): the
# Hamamatsu x40 frames, each centroid made into a 32x32 box, in 4 folds by
# image (frames of one patient kept together). Needs (docs/sparse_data.md):
#   python tools/dataset_converters/mitos2coco.py data/mitos_atypia_14 \
#       --out data/mitos_atypia_14/annotations/mitos.json
#   python tools/misc/kfold_split.py data/mitos_atypia_14/annotations/mitos.json \
#       --folds 4 --seed 0 --group-by patient --out-dir data/mitos_atypia_14/annotations/folds
# The paper samples 393 patches of 1663x1485 px from the frames; we train on
# the frames as they are, resized to 800x800 as the paper's input.
# Fold 1 here; configs/grids/bde_mitos_r50.py sets the fold.
_base_ = './point_cells_800.py'
data_root = 'data/mitos_atypia_14/'
classes = ('mitosis',)
metainfo = dict(classes=classes)
train_dataloader = dict(dataset=dict(data_root=data_root, metainfo=metainfo))
val_dataloader = dict(dataset=dict(data_root=data_root, metainfo=metainfo))
test_dataloader = val_dataloader
