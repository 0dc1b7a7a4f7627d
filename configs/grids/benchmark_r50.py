# The benchmark paper's matrix on its own data set, for GPU users (issue 15;
# Pianese: Faster R-CNN R50-FPN Table 2 rows 1-6, YOLOv3 Darknet-53 rows 1-5
# mirrored and Table 4's resolution / anchor rows; 110 epochs, batch 32) on
# DeepLesion's typed key slices (configs/_base_/datasets/deeplesion.py for the
# two data commands): configs/benchmark/README.md.
#   python tools/grid.py run configs/grids/benchmark_r50.py --seeds 0
#   python tools/grid.py run configs/grids/benchmark_r50.py --launcher dist --gpus 4
# Each variant changes one knob of its family's row-3 config (ImageNet
# backbone, Adam, balanced, no augmentation). Main rows: frcnn-r3, frcnn-r1,
# frcnn-r2, frcnn-r6-aug240, yolo-r3, yolo-r3-hires.
_base_ = '../_base_/benchmark_augmentation.py'  # row 6's pipeline steps
name = 'benchmark_r50'
baseline = 'frcnn-r3'
_frcnn = 'configs/benchmark/faster-rcnn_r50_fpn_balanced-adam_110e_deeplesion.py'
_yolo = 'configs/benchmark/yolov3_d53_balanced-adam_416-110e_deeplesion.py'
# ---- the matrix's knobs ------------------------------------------------------
# from scratch every stage trains, batch norm included (torchvision's Faster
# R-CNN without pretrained backbone does the same)
_frcnn_scratch = {'model.backbone.init_cfg': None, 'model.backbone.frozen_stages': -1,
                  'model.backbone.norm_eval': False}
_yolo_scratch = {'model.backbone.init_cfg': None, 'model.backbone.norm_eval': False}
_sgd = {'optim_wrapper.optimizer': dict(type='SGD', lr=2e-5, momentum=0.9)}  # weight decay 0
_unbalanced = {'train_dataloader.sampler.type': 'DefaultSampler'}  # shuffled, plain batches
_load = dict(type='LoadDeepLesionSlice', window=(-1024, 3071))
_aug240 = {
    'train_dataloader.dataset.pipeline': [
        _load, dict(type='LoadAnnotations', with_bbox=True), *_base_.paper_augmentation,
        dict(type='PackDetInputs')],
    'val_dataloader.dataset.pipeline': [_load, *_base_.paper_test_steps],
    'test_dataloader.dataset.pipeline': [_load, *_base_.paper_test_steps],
}
# Table 4 row 2: train 832 (the paper: 869 in the text, 816 in the table), test
# 1024; anchors x2
_yolo_hires = {
    'train_dataloader.dataset.pipeline.2.scale': (832, 832),
    'val_dataloader.dataset.pipeline.1.scale': (1024, 1024),
    'test_dataloader.dataset.pipeline.1.scale': (1024, 1024),
    'model.bbox_head.anchor_generator.base_sizes': [[(66, 58), (92, 90), (150, 128)],
                                                    [(32, 36), (48, 36), (44, 56)],
                                                    [(14, 14), (20, 20), (28, 24)]],
}
# Table 4 row 1's "standard anchors": mmdet's 416 px COCO anchors
_yolo_coco_anchors = {
    'model.bbox_head.anchor_generator.base_sizes': [[(116, 90), (156, 198), (373, 326)],
                                                    [(30, 61), (62, 45), (59, 119)],
                                                    [(10, 13), (16, 30), (33, 23)]],
}
# -------------------------------------------------------------------------------
variants = {
    'frcnn-r1-unbalanced': dict(config=_frcnn, cfg_options=_unbalanced),
    'frcnn-r2-scratch': dict(config=_frcnn, cfg_options=_frcnn_scratch),
    'frcnn-r3': _frcnn,
    'frcnn-r4-scratch-sgd': dict(config=_frcnn, cfg_options={**_frcnn_scratch, **_sgd}),
    'frcnn-r5-sgd': dict(config=_frcnn, cfg_options=_sgd),
    'frcnn-r6-aug240': dict(config=_frcnn, cfg_options=_aug240),
    'yolo-r1-unbalanced': dict(config=_yolo, cfg_options=_unbalanced),
    'yolo-r2-scratch': dict(config=_yolo, cfg_options=_yolo_scratch),
    'yolo-r3': _yolo,
    'yolo-r4-scratch-sgd': dict(config=_yolo, cfg_options={**_yolo_scratch, **_sgd}),
    'yolo-r5-sgd': dict(config=_yolo, cfg_options=_sgd),
    'yolo-r3-hires': dict(config=_yolo, cfg_options=_yolo_hires),
    'yolo-r3-cocoanchors': dict(config=_yolo, cfg_options=_yolo_coco_anchors),
}
seeds = [0, 1, 2]
# bench/bigger_share: Tables 6-7's share of matched predictions bigger than their GT
metrics = ['bench/mAP', 'bench50/mAP', 'bench/mean_iou', 'bench/fnr', 'bench/no_det_images',
           'bench/bigger_share']
