# LR + PL + triplet with the confidence bars lowered to where the CPU model's
# confidence lives (a finding row, not the paper's): t1 0.95 -> 0.8 (pseudo
# labels; at epoch 30 of the attribute run, outside predictions above 0.8
# (8.8 per image) were all hidden cells of the right class, none reached 0.9) and
# t0 0.70 -> 0.60 (the authors' code's t0), so the triplet band is (0.6, 0.8].
# Entropy gate (0.26 bits) and NMS IoU as the paper. See configs/sladet/README.md
# ("PL and the triplet never fire here, and why").
_base_ = './yolox_tiny_lr-pl-triplet_50e_synthetic-sladet.py'
model = dict(bbox_head=dict(thresholds=dict(_delete_=True, preset='paper', t0=0.6, t1=0.8)))
