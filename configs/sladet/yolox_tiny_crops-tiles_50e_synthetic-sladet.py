# The paper's first straightforward baseline (Rehman et al., Section 5.2,
# 37.7 mAP50 on Sparse-LeukemiaAttri): train on crops of the labelled regions
# (CropToLabeledRegion: one region per image and draw, at the test scale, fully
# annotated), stock YOLOX loss; test on the whole image cut into overlapping
# tiles whose boxes are merged by per-class NMS (TiledInference, also through
# tools/test.py). Tiles of 160 px (a single labelled region is ~140 px at 320)
# overlapping by 80 px (> the largest cell, a ~65 px white cell), so each cell
# is whole in some tile; boxes cut by an inner tile border are dropped
# (edge_margin) before the merge.
_base_ = './yolox_tiny_full_50e_synthetic-sladet.py'

# ---- knobs -----------------------------------------------------------------
tile_size = 160
tile_overlap = 80
# ---------------------------------------------------------------------------

model = dict(
    _delete_=True,
    type='TiledInference',
    detector={{_base_.model}},
    tile_size=tile_size,
    overlap=tile_overlap,
    nms=dict(type='nms', iou_threshold=0.65),
    edge_margin=2,
    max_per_img=300)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadSLADetAnnotations', with_bbox=True),
    dict(type='RegionResize', scale={{_base_.img_scale}}, keep_ratio=True),
    dict(type='CropToLabeledRegion'),
    dict(type='RegionRandomFlip', prob=0.5, direction=['horizontal', 'vertical']),
    dict(type='PackSLADetInputs')
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
