"""``mean_scope='global'`` (PLB) and ``norm_scope='global'`` (DC) pool over
all ranks: two gloo processes with two images each give the weights of one
process holding the four images; a rank without boxes still joins the
all-reduce (no deadlock)."""
import socket
from datetime import timedelta

import torch
import torch.distributed as torch_dist
import torch.multiprocessing as mp
from mmengine.config import ConfigDict
from mmengine.structures import InstanceData

from plb_mm.models import BoxWeightedRPNHead
from plb_mm.models.task_modules.weighters import DCWeighter, PLBWeighter, WeightingBoxes

META = dict(img_shape=(32, 32), pad_shape=(32, 32))


def _image_parts(i):
    """Image i's boxes of a loss term: 3 + i boxes, the first two positive."""
    g = torch.Generator().manual_seed(i)
    n = 3 + i
    xy = torch.rand(n, 2, generator=g) * 50
    pred = torch.cat([xy, xy + torch.rand(n, 2, generator=g) * 30 + 1], 1)
    gt = pred + torch.rand(n, 4, generator=g) * 4 - 2
    loss = torch.rand(n, generator=g) + 0.1
    return pred, gt, torch.arange(n) < 2, loss


def _boxes(images):
    parts = [_image_parts(i) for i in images]
    if not parts:
        return WeightingBoxes(pred_boxes=torch.zeros(0, 4), gt_boxes=torch.zeros(0, 4),
                              is_pos=torch.zeros(0, dtype=torch.bool),
                              labels=torch.zeros(0, dtype=torch.long),
                              img_inds=torch.zeros(0, dtype=torch.long),
                              loss_fn=lambda: torch.zeros(0))
    pred, gt, pos, loss = (torch.cat(x) for x in zip(*parts))
    img = torch.cat([torch.full((len(p[0]), ), k) for k, p in enumerate(parts)])
    return WeightingBoxes(pred_boxes=pred, gt_boxes=gt, is_pos=pos,
                          labels=torch.where(pos, 0, 1), img_inds=img, loss_fn=lambda: loss)


WEIGHTERS = {
    'plb': lambda scope: PLBWeighter(mean_scope=scope),
    'plb_gt': lambda scope: PLBWeighter(box_source='gt', mean_scope=scope),
    'dc': lambda scope: DCWeighter(norm_scope=scope),
}


def _rpn_head(scope):
    """The RPN head of test_box_weighted_rpn_head with PLB on both terms."""
    train_cfg = ConfigDict(
        assigner=dict(type='MaxIoUAssigner', pos_iou_thr=0.7, neg_iou_thr=0.3,
                      min_pos_iou=0.3, match_low_quality=True, ignore_iof_thr=-1),
        sampler=dict(type='RandomSampler', num=256, pos_fraction=0.5, neg_pos_ub=-1,
                     add_gt_as_proposals=False),
        allowed_border=-1, pos_weight=-1, debug=False)
    plb = dict(type='PLBWeighter', mean_scope=scope)
    return BoxWeightedRPNHead(
        in_channels=1, feat_channels=1, train_cfg=train_cfg,
        anchor_generator=dict(type='AnchorGenerator', strides=[16], ratios=[1.0], scales=[1, 2]),
        loss_weighters=dict(cls=[plb], reg=[plb]))


def _rpn_batch(images):
    """Outputs and GTs of the RPN images: image 3 has no GT."""
    g = torch.Generator().manual_seed(7)
    deltas = torch.randn(4, 8, 2, 2, generator=g) * 0.3
    gts = [InstanceData(bboxes=torch.tensor([[6., 8., 26., 24.], [0., 2., 32., 30.]]),
                        labels=torch.tensor([0, 0])),
           InstanceData(bboxes=torch.tensor([[0., 2., 32., 30.]]), labels=torch.tensor([0])),
           InstanceData(bboxes=torch.tensor([[8., 8., 24., 24.]]), labels=torch.tensor([0])),
           InstanceData(bboxes=torch.zeros(0, 4), labels=torch.zeros(0, dtype=torch.long))]
    return deltas[images], [gts[i] for i in images]


def _rpn_weights(scope, images):
    """The PLB-weighted label and bbox weights the head gives ``images``."""
    head = _rpn_head(scope)
    deltas, gts = _rpn_batch(images)
    metas = [META] * len(images)
    anchors, valid = head.get_anchors([(2, 2)], metas, device='cpu')
    targets = head.get_targets(anchors, valid, gts, metas)
    targets = head.apply_loss_weighters(anchors, targets, [torch.zeros(len(images), 2, 2, 2)],
                                        [deltas], metas)
    return targets[1][0], targets[3][0]


def _worker(rank, port, out):
    torch_dist.init_process_group('gloo', init_method=f'tcp://127.0.0.1:{port}', rank=rank,
                                  world_size=2, timeout=timedelta(seconds=60))
    try:
        res = {}
        mine = [2 * rank, 2 * rank + 1]
        for name, make in WEIGHTERS.items():
            res[name] = make('global')(_boxes(mine))
            # rank 1 has no boxes of the term: it still joins the all-reduce
            res[name + '_alone'] = make('global')(_boxes([0, 1] if rank == 0 else []))
        res['rpn'] = _rpn_weights('global', mine)
        torch.save(res, f'{out}/rank{rank}.pt')
    finally:
        torch_dist.destroy_process_group()


def _free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def test_global_scope_equals_one_process_with_the_whole_batch(tmp_path):
    mp.start_processes(_worker, args=(_free_port(), str(tmp_path)), nprocs=2, join=True,
                       start_method='spawn')
    ranks = [torch.load(tmp_path / f'rank{r}.pt') for r in range(2)]
    sizes = [3 + 4, 5 + 6]                 # boxes of images 0+1 and 2+3
    for name, make in WEIGHTERS.items():
        whole = make('batch')(_boxes([0, 1, 2, 3]))
        torch.testing.assert_close(torch.cat([ranks[0][name], ranks[1][name]]), whole)
        # 'batch' on one rank's share differs: the point of 'global'
        assert not torch.allclose(make('batch')(_boxes([0, 1])), whole[:sizes[0]])
        # a rank alone with boxes: its own pool; the empty rank gets no weights
        torch.testing.assert_close(ranks[0][name + '_alone'], make('batch')(_boxes([0, 1])))
        assert ranks[1][name + '_alone'].shape == (0, )
    # Through the RPN head: the label / bbox weights of each rank's two images
    # are those of one process on the four (image 3, without GT, has no positive).
    whole = _rpn_weights('batch', [0, 1, 2, 3])
    for k in range(2):
        for r in range(2):
            torch.testing.assert_close(ranks[r]['rpn'][k], whole[k][2 * r:2 * r + 2])
    assert not torch.allclose(_rpn_weights('batch', [2, 3])[0], whole[0][2:])


def test_global_scope_without_distribution_is_the_batch_scope():
    b = _boxes([0, 1, 2])
    for make in WEIGHTERS.values():
        torch.testing.assert_close(make('global')(b), make('batch')(b), rtol=1e-6, atol=0)
        assert make('global').collective and not make('batch').collective
    # the empty set reaches weights() of a collective weighter and stays empty
    for make in WEIGHTERS.values():
        assert make('global')(_boxes([])).shape == (0, )
