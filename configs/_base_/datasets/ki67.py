# Ki-67 tumour cells (the BDE paper's dense-distribution set, private: bring
# your own in the key-point layout of docs/sparse_data.md), each key point made
# into a 32x32 box, 3 folds by image. Needs:
#   python tools/dataset_converters/ki67_2coco.py data/ki67 --out data/ki67/annotations/ki67.json
#   python tools/misc/kfold_split.py data/ki67/annotations/ki67.json \
#       --folds 3 --seed 0 --out-dir data/ki67/annotations/folds
# ~100 cells a patch: its configs keep up to 300 detections an image (the recall
# would otherwise be capped by max_per_img). Fold 1 here;
# configs/grids/bde_ki67_r50.py sets the fold and the retention rate.
_base_ = './point_cells_800.py'
data_root = 'data/ki67/'
classes = ('tumor',)
metainfo = dict(classes=classes)
train_dataloader = dict(dataset=dict(data_root=data_root, metainfo=metainfo))
val_dataloader = dict(dataset=dict(data_root=data_root, metainfo=metainfo))
test_dataloader = val_dataloader
