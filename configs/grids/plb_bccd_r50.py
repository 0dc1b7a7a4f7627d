# The PLB paper's Table 3 on BCCD for GPU users: Faster R-CNN R50-FPN with the
# authors' schedule (15 epochs, batch 4), three seeds.
#   python tools/grid.py run configs/grids/plb_bccd_r50.py                      # one GPU per run
#   python tools/grid.py run configs/grids/plb_bccd_r50.py --launcher dist --gpus 4
# Without ImageNet weights, every variant trains from scratch only if its
# config says so: add a variant dict with cfg_options={'model.backbone.init_cfg': None}.
name = 'plb_bccd_r50'
baseline = 'baseline'
_c = 'configs/plb/faster-rcnn_r50_fpn_{}15e_bccd.py'
variants = {
    'baseline': _c.format(''),
    'plb1c': _c.format('plb1c_'),
    'plb1b': _c.format('plb1b_'),
    'plb1c-plb1b': _c.format('plb1c-plb1b_'),
}
seeds = [0, 1, 2]
metrics = ['coco/bbox_mAP', 'coco/bbox_mAP_50', 'coco/bbox_mAP_s', 'coco/bbox_mAP_m',
           'coco/bbox_mAP_l']
