# LR + PL + triplet with YOLOX's objectness normaliser (a finding row, not the
# paper's): the LR objectness sum is divided by the number of positives, as
# stock YOLOX, instead of SPEC's mean over the priors inside the regions
# (~80x weaker at init; the model's objectness on labelled cells is still
# ~0.12 at epoch 10 of the attribute run, so the triplet band stays empty).
_base_ = './yolox_tiny_lr-pl-triplet_50e_synthetic-sladet.py'
model = dict(bbox_head=dict(obj_avg_factor='num_pos'))
