# Pascal VOC 2007 as the PLB paper uses it: trained on trainval (5011 images),
# evaluated on test (4952) with the COCO metric (AP small/medium/large).
# COCO-format files from the VOCdevkit layout:
#   python tools/dataset_converters/voc2coco.py data/VOCdevkit/VOC2007 --preset voc07
# writes data/VOCdevkit/VOC2007/annotations/voc07_{trainval,test}.json
# ('difficult' objects become iscrowd=1: ignored in training and evaluation).
_base_ = './coco_detection.py'
data_root = 'data/VOCdevkit/VOC2007/'
classes = ('aeroplane', 'bicycle', 'bird', 'boat', 'bottle', 'bus', 'car', 'cat',
           'chair', 'cow', 'diningtable', 'dog', 'horse', 'motorbike', 'person',
           'pottedplant', 'sheep', 'sofa', 'train', 'tvmonitor')
metainfo = dict(classes=classes)
train_dataloader = dict(
    batch_size=4,
    dataset=dict(
        data_root=data_root, metainfo=metainfo,
        ann_file='annotations/voc07_trainval.json', data_prefix=dict(img=''),
        filter_cfg=dict(filter_empty_gt=True, min_size=1)))
val_dataloader = dict(
    dataset=dict(
        data_root=data_root, metainfo=metainfo,
        ann_file='annotations/voc07_test.json', data_prefix=dict(img='')))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=data_root + 'annotations/voc07_test.json')
test_evaluator = val_evaluator
