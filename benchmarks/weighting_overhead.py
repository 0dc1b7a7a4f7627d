"""Cost of per-box loss weighting (PLB, BDE) inside the loss computation.

    python benchmarks/weighting_overhead.py [CONFIG] [--batch-size 8] [--scale 800 800] [--iters 20]
        [--step-iters 5]

Runs the config's backbone, neck and RPN once on synthetic smears, computes the
targets of the RPN and of the sampled RoIs once, then times, on those fixed
inputs, (a) the stock losses (RPN ``loss_by_feat``, RoI ``loss_and_target``,
each with its backward pass into the head outputs) and (b) what a weighter
adds at each position (PLB at its four, BDE on the RoI classification term):
``apply_loss_weighters`` (gathering the term's boxes, decoding, the weights,
multiplying them into the targets). Timing (b) directly
is needed on a CPU, where (a) varies by more than (b) from call to call.
With ``--step-iters N`` it also times N whole training steps of the same model
on the same batch (forward + backward, no optimizer) and prints (b) as a share
of a step. BDE's energies cost O(n log n) in an image's sampled RoIs (n^2 done
naively): the R50 config samples 512 per image, the figure the issue asks for.
Default CONFIG: configs/plb/faster-rcnn_r50_fpn_15e_synthetic-cells.py.
"""
import argparse
import copy
import statistics
import time

import torch
from mmdet.structures.bbox import bbox2roi
from plb_mm.models.task_modules.weighters import build_weighters
from plb_mm.utils.benchmark import build_for_benchmark, fixed_batch

# name -> (stage, term, weighter type)
POSITIONS = dict(PLB1C=('rpn', 'cls', 'PLBWeighter'), PLB1B=('rpn', 'reg', 'PLBWeighter'),
                 PLB2C=('roi', 'cls', 'PLBWeighter'), PLB2B=('roi', 'reg', 'PLBWeighter'),
                 BDE=('roi', 'cls', 'BDEWeighter'))


def _time(fn, iters, device, setup=None):
    """Median ms of ``fn(*setup())`` (setup not timed) after 3 warm-up calls."""
    times = []
    for i in range(iters + 3):
        args = setup() if setup else ()
        if device == 'cuda':
            torch.cuda.synchronize()
        t0 = time.perf_counter()
        fn(*args)
        if device == 'cuda':
            torch.cuda.synchronize()
        if i >= 3:
            times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('config', nargs='?', default='configs/plb/faster-rcnn_r50_fpn_15e_synthetic-cells.py')
    p.add_argument('--batch-size', type=int, default=2)
    p.add_argument('--scale', type=int, nargs=2, default=[320, 320])
    p.add_argument('--iters', type=int, default=20)
    p.add_argument('--device', choices=['cpu', 'cuda'])
    p.add_argument('--step-iters', type=int, default=0,
                   help='also time this many whole training steps (0: skip)')
    args = p.parse_args()
    device = args.device or ('cuda' if torch.cuda.is_available() else 'cpu')
    model, _ = build_for_benchmark(args.config, device=device)
    data, gts, metas = fixed_batch(model, args.batch_size, args.scale)
    with torch.no_grad():
        feats = model.extract_feat(data['inputs'])
        rpn_outs = model.rpn_head(feats)
        proposals = model.rpn_head.predict_by_feat(*rpn_outs, batch_img_metas=metas,
                                                   cfg=model.train_cfg.rpn_proposal)
    rpn_outs = [[t.detach().requires_grad_(True) for t in lvl] for lvl in rpn_outs]
    roi_head = model.roi_head
    for prop in proposals:
        prop.priors = prop.pop('bboxes')
    sampling = []
    for prop, gt in zip(proposals, gts):
        assign = roi_head.bbox_assigner.assign(prop, gt)
        sampling.append(roi_head.bbox_sampler.sample(assign, prop, gt))
    rois = bbox2roi([res.priors for res in sampling])
    with torch.no_grad():
        roi_cls, roi_reg = roi_head._bbox_forward(feats, rois)['cls_score'], \
            roi_head._bbox_forward(feats, rois)['bbox_pred']
    roi_cls, roi_reg = roi_cls.detach().requires_grad_(True), roi_reg.detach().requires_grad_(True)

    def rpn_loss():
        losses = model.rpn_head.loss_by_feat(*rpn_outs, gts, metas)
        sum(sum(v) for v in losses.values()).backward()

    def roi_loss():
        out = roi_head.bbox_head.loss_and_target(roi_cls, roi_reg, rois, sampling,
                                                 roi_head.train_cfg)
        (out['loss_bbox']['loss_cls'] + out['loss_bbox']['loss_bbox']).backward()

    rpn = model.rpn_head
    anchor_list, valid_flags = rpn.get_anchors([f.shape[-2:] for f in rpn_outs[0]], metas,
                                               device=device)
    rpn_targets = rpn.get_targets(anchor_list, valid_flags, gts, metas)
    roi_targets = roi_head.bbox_head.get_targets(sampling, roi_head.train_cfg)
    n_anchors = sum(o.shape[2] * o.shape[3] for o in rpn_outs[0]) * rpn.num_base_priors
    print(f'{args.config} on {device}: batch {args.batch_size} at {args.scale[0]}x{args.scale[1]}, '
          f'{n_anchors} anchors/image, {len(rois)} sampled RoIs, median of {args.iters} calls')
    base = dict(rpn=_time(rpn_loss, args.iters, device), roi=_time(roi_loss, args.iters, device))
    step = None
    if args.step_iters:
        def train_step():
            model.zero_grad()
            losses = model.loss(data['inputs'], data['data_samples'])
            model.parse_losses(losses)[0].backward()
        step = _time(train_step, args.step_iters, device)
        print(f'whole training step (forward + backward): {step:.1f} ms')
    share = '| share of a step |' if step else ''
    print(f'| position | stock loss + backward (ms) | added by the weighter (ms) {share}\n'
          f'|---|---|---|{"---|" if step else ""}')
    for name, (stage, term, weighter) in POSITIONS.items():
        head = copy.deepcopy(rpn if stage == 'rpn' else roi_head.bbox_head)
        head.loss_weighters = build_weighters({term: [dict(type=weighter)]})
        if stage == 'rpn':
            def setup():  # apply_loss_weighters works in place on fresh targets
                return (tuple([t.clone() for t in x] if isinstance(x, list) else x
                              for x in rpn_targets), )

            def fn(targets):
                head.apply_loss_weighters(anchor_list, targets, *rpn_outs, metas)
        else:
            setup = None

            def fn():
                head.apply_loss_weighters(roi_cls, roi_reg, rois, sampling, *roi_targets)
        added = _time(fn, args.iters, device, setup)
        pct = f' {100 * added / step:.3f}% |' if step else ''
        print(f'| {name} ({stage} loss) | {base[stage]:.2f} | {added:.2f} |{pct}')


if __name__ == '__main__':
    main()
