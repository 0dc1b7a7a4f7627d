# CPU-sized YOLOX with SLA-Det's head (SPEC 4): YOLOX-nano-like depth and width
# (deepen 0.33, widen 0.25, plain convs), 320 px input, strides (8, 16, 32).
# The head's extra terms are off here except LR; method configs switch them on
# by adding keys to bbox_head (configs/sladet/, docs/sladet.md "Head"):
#   pseudo_label=dict(min_area=...)   # PL, gain 0.1; min_area = smallest GT area (px^2)
#   triplet=dict(sign='standard')     # triplet, gain 0.1, + custom_hooks TripletSwitchHook
#   thresholds='paper'                # t0 0.70 / t1 0.95 / t2 0.26; 'authors_code': 0.60 / 0.95 / -
# No BatchSyncRandomResize: mmdet's batch resize rescales the GT boxes but not
# metainfo['labeled_regions'].
model = dict(
    type='YOLOX',
    data_preprocessor=dict(type='DetDataPreprocessor', pad_size_divisor=32),
    backbone=dict(
        type='CSPDarknet',
        deepen_factor=0.33,
        widen_factor=0.25,
        out_indices=(2, 3, 4),
        use_depthwise=False,
        spp_kernal_sizes=(5, 9, 13),
        norm_cfg=dict(type='BN', momentum=0.03, eps=0.001),
        act_cfg=dict(type='Swish')),
    neck=dict(
        type='YOLOXPAFPN',
        in_channels=[64, 128, 256],
        out_channels=64,
        num_csp_blocks=1,
        use_depthwise=False,
        upsample_cfg=dict(scale_factor=2, mode='nearest'),
        norm_cfg=dict(type='BN', momentum=0.03, eps=0.001),
        act_cfg=dict(type='Swish')),
    bbox_head=dict(
        type='SLADetYOLOXHead',
        num_classes=14,  # LeukemiaAttri's WBC types; data configs override
        in_channels=64,
        feat_channels=64,
        stacked_convs=2,
        strides=(8, 16, 32),
        use_depthwise=False,
        norm_cfg=dict(type='BN', momentum=0.03, eps=0.001),
        act_cfg=dict(type='Swish'),
        loss_cls=dict(type='CrossEntropyLoss', use_sigmoid=True, reduction='sum',
                      loss_weight=1.0),
        loss_bbox=dict(type='IoULoss', mode='square', eps=1e-16, reduction='sum',
                       loss_weight=5.0),
        loss_obj=dict(type='CrossEntropyLoss', use_sigmoid=True, reduction='sum',
                      loss_weight=1.0),
        loss_l1=dict(type='L1Loss', reduction='sum', loss_weight=1.0),
        lr_loss=True,
        obj_avg_factor='supervised',
        thresholds='paper'),  # pseudo_label / triplet: absent = off (see the top)
    train_cfg=dict(assigner=dict(type='SimOTAAssigner', center_radius=2.5)),
    test_cfg=dict(score_thr=0.01, nms=dict(type='nms', iou_threshold=0.65)))
