"""Film reports (SLA-Det / AttriDet, Rehman et al. Fig. 4(b)): a detector's
cell counts and attribute frequencies per blood film, and the film-level
text "most frequent WBC type and its predominant morphology".

    python tools/analysis_tools/film_report.py CONFIG CHECKPOINT --slides DIR|ANN
        [--out DIR] [--score-thr 0.3] [--wbc-classes NAME ...] [--img-root DIR]
        [--device cpu] [--cfg-options ...]

--slides DIR: the images in DIR are one film, or, when DIR's subdirectories
hold images, each subdirectory is a film. --slides ANN (a COCO json): images
grouped by their record's `film` (or `slide`) key, else one film named after
the file; paths under --img-root, else under the json's sibling images/, its
folder's sibling images/, the folder above the json's (data_root/annotations/,
as the synthetic sets) or the json's own folder. Detections scoring >=
--score-thr count; attributes come from pred_instances.attributes (counts only
when the model has none), named by the config's `attribute_names` (else a0,
a1, ...); class names from the config's test set (metainfo.classes) or its
`classes`. Writes OUT/<film>.md, .json and .png per film; see
plb_mm/utils/film_report.py.

    python tools/analysis_tools/film_report.py \
        configs/sladet/yolox_tiny_lr_50e_synthetic-sladet.py work_dirs/lr/epoch_50.pth \
        --slides data/synthetic_sladet/annotations/val.json --wbc-classes WBC
"""
import argparse

from mmengine.config import DictAction

from plb_mm.utils.film_report import film_config, film_reports, find_films, init_film_detector


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('config')
    p.add_argument('checkpoint')
    p.add_argument('--slides', required=True,
                   help='a folder of images (or of one folder per film), or a COCO json')
    p.add_argument('--out', default='film_reports', help='output folder (default film_reports)')
    p.add_argument('--score-thr', type=float, default=0.3,
                   help='count detections scoring at least this (default 0.3)')
    p.add_argument('--wbc-classes', nargs='+', metavar='NAME',
                   help='the class names that are white cells (default: all classes)')
    p.add_argument('--img-root', help='folder the COCO file names are relative to')
    p.add_argument('--device', default='cpu')
    p.add_argument('--cfg-options', nargs='+', action=DictAction,
                   help='override config entries, key=value (mmengine syntax)')
    args = p.parse_args()

    import plb_mm  # noqa: F401  (registers plb_mm's modules and checkpoint loader)
    try:
        cfg, classes, names = film_config(args.config, args.cfg_options)
        films = find_films(args.slides, args.img_root)
        print(f'{args.slides}: {len(films)} film(s), {sum(map(len, films.values()))} images; '
              f'classes {classes}; attributes {names or "a0, a1, ... (if any)"}')
        model = init_film_detector(cfg, args.checkpoint, classes, device=args.device)
        film_reports(model, films, classes, args.out, attribute_names=names,
                     score_thr=args.score_thr, wbc_classes=args.wbc_classes,
                     meta=dict(config=args.config, checkpoint=args.checkpoint,
                               slides=args.slides))
    except ValueError as e:
        raise SystemExit(f'error: {e}')
    print(f'reports of {len(films)} film(s) written to {args.out}')


if __name__ == '__main__':
    main()
