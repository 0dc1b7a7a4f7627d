# Synthetic SLA-Det smears (docs/sladet.md, "Data sets"): the synthetic blood
# smear's `sladet` preset, generated into data/synthetic_sladet/ on first use,
# deterministic by seed. 512 x 512 px fields with 2-5 white cells that carry 6
# visible binary attributes (the paper's NC NS N C CB CV); training images are
# annotated only inside 1-3 labelled rectangles (~20 % of the image; the image
# record's `labeled_regions`), validation images in full.
# annotations/train_full.json holds every box of the training images (an
# oracle training set, and the truth to score pseudo-labels against).
_base_ = './synthetic_cells.py'
data_root = 'data/synthetic_sladet/'
# Generation parameters: a data_root holds one data set; change them together.
synthetic = dict(num_train=160, num_val=40, seed=0, preset='sladet')
# The annotations' `attributes`, in order (white cells; -1 = unknown elsewhere).
attribute_names = ('nuclear_chromatin', 'nuclear_shape', 'nucleus', 'cytoplasm',
                   'cytoplasmic_basophilia', 'cytoplasmic_vacuoles')
img_scale = (320, 320)  # the 512 px fields at 0.625 for the CPU models

# The SLA-Det transforms (plb_mm/datasets/transforms/): the loader adds the
# labelled regions (the whole image when the record has none) and the
# attributes; the Region* transforms move the regions with the image and keep
# each box's attributes with it; the packer puts them in the data sample.
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadSLADetAnnotations', with_bbox=True),
    dict(type='RegionResize', scale=img_scale, keep_ratio=True),
    dict(type='RegionRandomFlip', prob=0.5, direction=['horizontal', 'vertical']),
    dict(type='PackSLADetInputs')
]
# Evaluation images are labelled whole: no regions; GT boxes stay in the
# original frame (loaded after Resize), with their attributes.
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(type='LoadSLADetAnnotations', with_bbox=True, with_regions=False),
    dict(type='PackSLADetInputs',
         meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor'))
]
train_dataloader = dict(dataset=dict(
    data_root=data_root, synthetic=synthetic, pipeline=train_pipeline,
    # an image whose regions hold no cell still teaches: background inside
    # the regions, pseudo-labels outside
    filter_cfg=dict(filter_empty_gt=False, min_size=1)))
val_dataloader = dict(dataset=dict(data_root=data_root, synthetic=synthetic,
                                   pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=data_root + 'annotations/val.json')
test_evaluator = val_evaluator
