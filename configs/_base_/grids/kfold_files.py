# k-fold grids (issue 12): where each fold's files are, as
#   tools/misc/kfold_split.py ANN --folds K --out-dir <data_root>/annotations/folds
# writes them (fold1 ... foldK; the training file of fold k is the complement
# of its test file). The grid runs every variant on every fold in `folds`.
fold_options = {
    'train_dataloader.dataset.ann_file': 'annotations/folds/fold{fold}_train.json',
    'val_dataloader.dataset.ann_file': 'annotations/folds/fold{fold}_test.json',
    'test_dataloader.dataset.ann_file': 'annotations/folds/fold{fold}_test.json',
}
