# SLA-Det's naive baseline (issue 13, Table 8's first row): the full training
# images with their sparse boxes, every unannotated cell treated as background.
# No LR, no PL, no triplet: SLADetYOLOXHead with every term off is mmdet's
# YOLOXHead (objectness on every prior; tested bit for bit), regions ignored.
_base_ = './yolox_tiny_lr_50e_synthetic-sladet.py'
model = dict(bbox_head=dict(lr_loss=False))
