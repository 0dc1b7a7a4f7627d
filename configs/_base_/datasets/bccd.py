# BCCD blood cells (RBC, WBC, Platelets), COCO-format files made from the
# release's Pascal VOC layout by
#   python tools/dataset_converters/voc2coco.py data/BCCD --preset bccd
# which writes data/BCCD/annotations/bccd_{train,val,test}.json.
_base_ = './coco_detection.py'
data_root = 'data/BCCD/'
classes = ('RBC', 'WBC', 'Platelets')
metainfo = dict(classes=classes, palette=[(220, 20, 60), (106, 0, 228), (0, 60, 100)])
train_dataloader = dict(
    batch_size=4,
    dataset=dict(
        data_root=data_root, metainfo=metainfo,
        ann_file='annotations/bccd_train.json', data_prefix=dict(img=''),
        filter_cfg=dict(filter_empty_gt=True, min_size=1)))
val_dataloader = dict(
    dataset=dict(
        data_root=data_root, metainfo=metainfo,
        ann_file='annotations/bccd_val.json', data_prefix=dict(img='')))
test_dataloader = dict(
    dataset=dict(
        data_root=data_root, metainfo=metainfo,
        ann_file='annotations/bccd_test.json', data_prefix=dict(img='')))
val_evaluator = dict(ann_file=data_root + 'annotations/bccd_val.json')
test_evaluator = dict(ann_file=data_root + 'annotations/bccd_test.json')
