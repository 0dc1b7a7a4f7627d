# SLA-Det* (paper Table 9): LR + AttriHead. mmdet's YOLOX becomes AttriYOLOX:
# the backbone also returns the stride-4 map, the neck still takes strides
# 8-32, the attribute head takes strides 4 and 8 (RoIAlign 24 x 30, 3 x conv
# -> max-pool, FC 1024-256-6, dropout 0.2, leaky ReLU; asymmetric loss
# gamma_neg 4, gamma_pos 1, clip 0.05) and trains on the GT boxes of the
# labelled regions (unknown values ignored). The paper's attribute runs are
# 30 epochs (Section 5.2: "the triplet loss is activated for 10 epochs, while
# the others for 30"). Validation: COCO box AP and attribute F1 (per
# attribute, macro, per cell class; detections matched to GT at IoU 0.5).
_base_ = './yolox_tiny_lr_50e_synthetic-sladet.py'

# ---- knobs the ablation varies -------------------------------------------
max_epochs = 30
# AsymmetricLoss averages over the known (cell, attribute) entries; x6 makes
# it the sum over a cell's 6 attributes averaged over the cells, the
# normaliser of the authors' code (utils/my_model.py: sum / number of cells).
attri_loss_weight = 6.0
# ---------------------------------------------------------------------------

model = dict(
    type='AttriYOLOX',
    backbone=dict(out_indices=(1, 2, 3, 4)),  # strides 4, 8, 16, 32
    neck_in_indices=(1, 2, 3),
    attri_in_indices=(0, 1),
    attri_head=dict(
        type='AttriHead',
        in_channels=(32, 64),  # CSPDarknet stages 1-2 at widen 0.25
        featmap_strides=(4, 8),
        roi_size=(24, 30),
        conv_channels=(64, 64, 64),
        fc_channels=(1024, 256),
        num_attributes=6,
        dropout=0.2,
        only_in_regions=True,
        loss_attr=dict(type='AsymmetricLoss', gamma_neg=4, gamma_pos=1, clip=0.05,
                       loss_weight=attri_loss_weight)))
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, end_factor=1.0, by_epoch=True, begin=0, end=3,
         convert_to_iter_based=True),
    dict(type='LinearLR', start_factor=1.0, end_factor=0.1, by_epoch=True, begin=3,
         end=max_epochs, convert_to_iter_based=True)
]
val_evaluator = [
    {{_base_.val_evaluator}},
    dict(type='AttributeF1Metric', attribute_names={{_base_.attribute_names}},
         classwise=True)
]
test_evaluator = val_evaluator
