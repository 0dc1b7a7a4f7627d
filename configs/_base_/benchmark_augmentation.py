# The benchmark paper's augmentation (Pianese, Sec. 3.1.3; Table 2 row 6): the
# training steps between LoadAnnotations and PackDetInputs, and the test steps
# after the image is loaded (the same 240x240). A config takes them with
#   _base_ = ['<its parent>.py', '../_base_/benchmark_augmentation.py']
#   train: [<load image>, dict(type='LoadAnnotations', with_bbox=True),
#           *_base_.paper_augmentation, dict(type='PackDetInputs')]
#   test:  [<load image>, *_base_.paper_test_steps]
# and imports the two plb_mm transforms by module in custom_imports.
paper_augmentation = [
    # 50 px on each side, mirrored ("consistent with what was already present"):
    # mmdet's Pad pads bottom/right to a size, hence plb_mm's PadSides
    dict(type='PadSides', padding=50, padding_mode='reflect'),
    # uniform in [-30, 30] deg (0.1 deg steps) about the image centre; boxes are
    # the enclosing boxes of their rotated corners, clipped; border 0 as torchvision's
    dict(type='Rotate', prob=1.0, min_mag=0.0, max_mag=30.0, reversal_prob=0.5,
         img_border_value=0),
    # 0-64 px off each side, drawn independently; boxes clipped, emptied ones dropped
    dict(type='RandomCropSides', max_crop=64),
    dict(type='Resize', scale=(240, 240), keep_ratio=False),
]
paper_test_steps = [
    dict(type='Resize', scale=(240, 240), keep_ratio=False),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='PackDetInputs',
         meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor'))
]
