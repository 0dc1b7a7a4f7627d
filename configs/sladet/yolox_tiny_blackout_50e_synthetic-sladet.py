# The paper's second straightforward baseline (Rehman et al., Section 5.2,
# 37.6 mAP50 on Sparse-LeukemiaAttri): train on the full image with the
# unlabelled area blacked out (BlackOutUnlabeled, after the geometric
# transforms: every pixel whose centre lies outside all labelled regions
# becomes 0, the data preprocessor's padding value; this model feeds raw
# pixels), stock YOLOX loss (what is visible is fully annotated). Validation
# images are whole and untouched.
_base_ = './yolox_tiny_full_50e_synthetic-sladet.py'
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadSLADetAnnotations', with_bbox=True),
    dict(type='RegionResize', scale={{_base_.img_scale}}, keep_ratio=True),
    dict(type='RegionRandomFlip', prob=0.5, direction=['horizontal', 'vertical']),
    dict(type='BlackOutUnlabeled', fill=0),
    dict(type='PackSLADetInputs')
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
