# +IAC on BCCD: IoU-classification-aware anchor assignment (alpha 0.75, score_thr 0.5).
_base_ = './retinanet_r18_fpn_tiny_12e_bccd.py'
model = dict(train_cfg=dict(assigner=dict(
    _delete_=True, type='IoUClsAwareAssigner', pos_iou_thr=0.5, neg_iou_thr=0.4,
    min_pos_iou=0, ignore_iof_thr=-1, alpha=0.75, score_thr=0.5)))
