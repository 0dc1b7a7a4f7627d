"""Synthetic blood-smear images with COCO annotations (SPEC section 6).

The default data set of plb_mm: it is generated on first use, needs no
download, and is deterministic for a seed (image ``i`` of a split is drawn from
``numpy.random.default_rng([seed, split_index, i])``, so a larger data set
starts with the same images as a smaller one).

Its parameters come from a **preset**, with overrides of single values:

``bccd_like`` (the default, 416 x 416 px)
    The box statistics of real BCCD resized to 416 x 416 (its 640 x 480
    images stretched; trainval): 13.5 boxes per image;
    sqrt(box area) medians RBC 76 px, WBC 142 px, platelets 30 px; a fifth of
    the boxes overlap another at IoU > 0.1; COCO size bands small 5 %, medium
    87 %, large 8 %. And what makes real smears hard: dense, touching and
    overlapping red cells, cells cut by the border (boxes clipped to the
    image, kept when at least ``min_visible`` of the cell's width and height
    shows), defocus (whole images and single cells), stain, colour-cast and
    illumination variation (vignetting, gradients), sensor noise, debris,
    loose platelet boxes and, as in BCCD, red cells without a box
    (``unlabelled``: a share drawn per image from a range). See
    :mod:`.synthetic_smear`; ~40 images/s on one CPU core.
``easy`` (320 x 320 px)
    The generator before the presets, bit for bit: flat pink discs (RBC
    56-104 px), lilac white cells (36-64 px), dark dots (platelets 6-16 px),
    inside the image, every cell boxed. See :mod:`.synthetic_easy`.
``sladet`` (512 x 512 px)
    SLA-Det's sparse setting (docs/sladet.md, "Data sets"): the smear's
    painting with 2-5 white cells, each carrying 6 visible binary attributes
    (the annotation's ``attributes``; ``-1`` for the other cells); every
    cell boxed, but on the training images only the cells whose box centre
    lies in one of 1-3 labelled rectangles (``labeled_regions`` of the
    image record, ~20 % of the image) are annotated, and
    ``annotations/train_full.json`` keeps them all. See
    :mod:`.synthetic_sladet`.

Cell sizes are in pixels and do not scale with ``img_size``: a larger image
shows a larger field of the same smear.

Overrides are deep-merged into the preset (``img_size=320``,
``cells=dict(RBC=dict(unlabelled=(0, 0)))``, ``look=dict(noise=(0, 0))``); a
key the preset does not have, or a value of another kind, is an error.
:func:`preset_params` gives the merged parameters.

The data set's folder holds ``meta.json``, the request (``num_train``,
``num_val``, ``seed``, ``preset``, ``img_size`` and the other overrides: as
keyword arguments it asks for the same set), and ``params.json``, the merged
parameters. :func:`ensure_synthetic_cells` reuses a set made for the same
request, regenerates one whose merged parameters changed since (a preset
edited in the code) or that predates the presets, and refuses one made for
another request.
"""
import copy
import json
import os
import os.path as osp
import shutil
import tempfile
from typing import Dict, List, Optional, Tuple

import numpy as np
from mmdet.registry import DATASETS

from .checked_coco import CheckedCocoDataset
from .file_lock import file_lock
from .synthetic_easy import EASY_CELLS, draw_easy
from .synthetic_sladet import (SLADET_ATTRIBUTES, box_in_regions, draw_labeled_regions,
                               draw_sladet)
from .synthetic_smear import draw_bccd_like

CLASSES = ('RBC', 'WBC', 'Platelet')
SPLITS = ('train', 'val')


def _cls(count, count_p, diameter, elongation, irregularity, overlap, cluster,
         outside, min_visible, box_scale, box_jitter, unlabelled=(0.0, 0.0),
         cluster_distance=(0.75, 1.0), region=1.0):
    return dict(count=count, count_p=count_p, diameter=diameter, elongation=elongation,
                irregularity=irregularity, overlap=overlap, cluster=cluster,
                cluster_distance=cluster_distance, region=region, outside=outside,
                min_visible=min_visible, box_scale=box_scale, box_jitter=box_jitter,
                unlabelled=unlabelled)


SYNTHETIC_PRESETS: Dict[str, Dict] = dict(
    easy=dict(renderer='easy', img_size=320, cells=EASY_CELLS),
    bccd_like=dict(
        renderer='smear',
        img_size=416,
        # Per class, lengths in px at img_size (they do not scale with it: a
        # larger image shows a larger field of the same smear):
        #   count: (min, max) cells tried per image, uniform; count_p: or the
        #     probabilities of 0, 1, 2, ... cells (used when not None);
        #   diameter: normal(mean, sd) clipped to [min, max];
        #   elongation: (min, max) of the outline's 2nd harmonic (an ellipse);
        #   irregularity: max amplitude of the 3rd harmonic (half for the 4th);
        #   overlap: per class already placed, the share of the two radii by
        #     which centres may come closer than touching;
        #   cluster: probability to place a cell against one placed before,
        #     at cluster_distance x the sum of radii (clumps);
        #   region: share of the image side over which centres are spread;
        #   outside: how far (x radius) a centre may lie beyond the border;
        #   min_visible: share of the box's width and height that must be in
        #     the image for the cell to be boxed;
        #   box_scale, box_jitter: annotator's box around the outline (scale
        #     about the centre; normal noise of each side, x the side);
        #   unlabelled: (min, max) of the per-image share of cells left unboxed.
        cells=dict(
            RBC=_cls(count=(13, 36), count_p=None,
                     diameter=dict(mean=78, sd=7, min=60, max=100),
                     elongation=(0.0, 0.22), irregularity=0.08,
                     overlap=dict(RBC=0.23, WBC=0.1, Platelet=0.0), cluster=0.15,
                     outside=0.3, min_visible=0.7, box_scale=1.0, box_jitter=0.02,
                     unlabelled=(0.05, 0.5)),
            WBC=_cls(count=(1, 1), count_p=(0.01, 0.95, 0.04),
                     diameter=dict(mean=128, sd=30, min=70, max=165),
                     elongation=(0.0, 0.1), irregularity=0.03,
                     overlap=dict(RBC=0.0, WBC=0.0, Platelet=0.0), cluster=0.0,
                     region=0.55, outside=0.0, min_visible=0.5, box_scale=1.1,
                     box_jitter=0.03),
            Platelet=_cls(count=(0, 5), count_p=(0.45, 0.26, 0.19, 0.06, 0.03, 0.01),
                          diameter=dict(mean=18, sd=3, min=10, max=26),
                          elongation=(0.0, 0.25), irregularity=0.15,
                          overlap=dict(RBC=0.5, WBC=0.0, Platelet=0.0), cluster=0.0,
                          outside=0.2, min_visible=0.5, box_scale=1.65, box_jitter=0.05),
        ),
        # Small unboxed specks (count: Poisson mean; diameter: uniform range).
        debris=dict(count=4.0, diameter=(2.0, 7.0)),
        # Painting. Colours are BGR; stains are absorbances (Beer-Lambert) at
        # full thickness, measured on BCCD against its background.
        look=dict(
            background=(202.0, 207.0, 206.0), background_cast=0.02, brightness=(0.95, 1.05),
            vignetting=(0.0, 0.2), gradient=(0.0, 0.12),
            stain=dict(RBC=(0.17, 0.23, 0.11), cytoplasm=(0.02, 0.42, 0.18),
                       nucleus=(0.0, 0.75, 0.42), granule=(0.75, 0.45, 0.02),
                       platelet=(0.0, 0.55, 0.35), debris=(0.25, 0.30, 0.30)),
            stain_gain=(0.8, 1.25), stain_tint=0.08,
            rbc_pallor=(0.35, 0.7), rbc_density=(0.8, 1.1), refractile_p=0.2,
            # neutrophil-like (lobed), lymphocyte-like (round), eosinophil-like
            wbc_kinds=(0.6, 0.25, 0.15),
            cell_blur_p=0.15, cell_blur=(0.8, 2.5),          # a defocused cell
            focus_blur=(0.5, 1.0), defocus_p=0.25, defocus_blur=(1.2, 2.5),  # gaussian sigma, px
            noise=(1.0, 4.0),                                 # sensor noise sd, grey levels
        ),
    ),
)

def _sladet_look() -> Dict:
    """bccd_like's painting, with the stains of the white-cell attributes
    (pale and basophilic cytoplasm, nucleoli) and less defocus, so that the
    attributes stay visible."""
    look = copy.deepcopy(SYNTHETIC_PRESETS['bccd_like']['look'])
    look['stain'].update(cytoplasm_pale=(0.03, 0.34, 0.16), basophilic=(0.10, 0.42, 0.80),
                         nucleolus=(0.05, 0.30, 0.55))
    look.update(cell_blur_p=0.05, defocus_p=0.1, focus_blur=(0.4, 0.8))
    return look


# SLA-Det (Rehman et al.): a larger field (512 px; configs resize it to 320)
# with 2-5 white cells carrying 6 visible attributes, every cell boxed
# (unlabelled 0), and training images annotated only inside labelled regions
# (~20 % of the image). See :mod:`.synthetic_sladet`.
SYNTHETIC_PRESETS['sladet'] = dict(
    renderer='sladet',
    img_size=512,
    cells=dict(
        RBC=_cls(count=(18, 42), count_p=None, diameter=dict(mean=72, sd=6, min=58, max=90),
                 elongation=(0.0, 0.2), irregularity=0.08,
                 overlap=dict(RBC=0.2, WBC=0.0, Platelet=0.0), cluster=0.15,
                 outside=0.3, min_visible=0.7, box_scale=1.0, box_jitter=0.02),
        WBC=_cls(count=(2, 5), count_p=None, diameter=dict(mean=104, sd=10, min=84, max=128),
                 elongation=(0.0, 0.1), irregularity=0.03,
                 overlap=dict(RBC=0.0, WBC=0.0, Platelet=0.0), cluster=0.0,
                 region=0.9, outside=0.0, min_visible=0.5, box_scale=1.05, box_jitter=0.02),
        Platelet=_cls(count=(0, 6), count_p=None, diameter=dict(mean=18, sd=3, min=10, max=26),
                      elongation=(0.0, 0.25), irregularity=0.15,
                      overlap=dict(RBC=0.5, WBC=0.0, Platelet=0.0), cluster=0.0,
                      outside=0.2, min_visible=0.5, box_scale=1.5, box_jitter=0.04),
    ),
    debris=dict(count=6.0, diameter=(2.0, 7.0)),
    look=_sladet_look(),
    # White-cell attributes: names (the paper's Table 5) and P(1) of each.
    attributes=dict(names=list(SLADET_ATTRIBUTES), p=[0.5, 0.5, 0.4, 0.5, 0.5, 0.4]),
    # Labelled regions of the sparse splits: count_p over 0, 1, 2, 3 regions
    # (at least 1); total area share; width/height; P(centred near a white
    # cell) and the offset from it (x the region's side).
    regions=dict(splits=['train'], count_p=[0.0, 0.5, 0.3, 0.2], area=[0.16, 0.24],
                 aspect=[0.6, 1.6], on_wbc=0.8, jitter=0.3, tries=30),
)
DEFAULT_PRESET = 'bccd_like'

# Generation parameters of the default data set (configs/_base_/datasets/synthetic_cells.py).
DEFAULT_PARAMS = dict(num_train=160, num_val=40, seed=0)  # and DEFAULT_PRESET


def _merge(base, override, where: str):
    """``override`` deep-merged into ``base``: dict keys must exist in
    ``base``, and a value must be of the kind it replaces (dict, sequence,
    number, string); ``None`` in ``base`` accepts anything."""
    if base is None or override is None:
        return copy.deepcopy(override)
    if isinstance(base, dict):
        if not isinstance(override, dict):
            raise ValueError(f'synthetic cells: {where} must be a dict, got {override!r}')
        out = copy.deepcopy(base)
        for k, v in override.items():
            if k not in base:
                raise ValueError(f'synthetic cells: unknown parameter {where}.{k}; '
                                 f'known: {sorted(base)}')
            out[k] = _merge(base[k], v, f'{where}.{k}')
        return out
    kinds = ((list, tuple), (int, float), (str,))
    for kind in kinds:
        if isinstance(base, kind) and not isinstance(base, bool):
            if not isinstance(override, kind) or isinstance(override, bool):
                raise ValueError(f'synthetic cells: {where} must be like {base!r}, '
                                 f'got {override!r}')
            return copy.deepcopy(override)
    return copy.deepcopy(override)


def preset_params(preset: Optional[str] = None, **overrides) -> Dict:
    """The generation parameters of ``preset`` (default ``bccd_like``) with
    ``overrides`` deep-merged in (see the module docstring)."""
    preset = preset or DEFAULT_PRESET
    if preset not in SYNTHETIC_PRESETS:
        raise ValueError(f'synthetic cells: unknown preset {preset!r}; '
                         f'known: {sorted(SYNTHETIC_PRESETS)}')
    overrides = {k: v for k, v in overrides.items() if v is not None}
    if 'renderer' in overrides:
        raise ValueError('synthetic cells: the renderer comes with the preset; '
                         'choose another preset instead')
    params = _merge(SYNTHETIC_PRESETS[preset], overrides, preset)
    return json.loads(json.dumps(params))  # tuples -> lists, as stored in meta.json


def draw_smear(rng: np.random.Generator, params: Optional[Dict] = None):
    """Draw one smear with merged parameters (:func:`preset_params`).

    Returns:
        tuple: a ``(size, size, 3)`` uint8 BGR image and a list of
        ``dict(label=str, bbox=[x1, y1, x2, y2])`` (int pixels, inside the
        image) for the boxed cells.
    """
    params = params or preset_params()
    if params['renderer'] == 'easy':
        return draw_easy(rng, params['img_size'], params['cells'])
    if params['renderer'] == 'sladet':
        return draw_sladet(rng, params['img_size'], params)
    return draw_bccd_like(rng, params['img_size'], params)


def _rng(seed: int, split: str, index: int, stream: int = 0) -> np.random.Generator:
    """Image ``index`` of ``split`` draws from stream 0; stream 1 draws its
    labelled regions (``sladet``), so they do not change the image."""
    key = [seed, SPLITS.index(split), index] + ([stream] if stream else [])
    return np.random.default_rng(key)


def _annotation(ann_id: int, image_id: int, obj: Dict, **extra) -> Dict:
    x1, y1, x2, y2 = obj['bbox']
    ann = dict(id=ann_id, image_id=image_id, category_id=CLASSES.index(obj['label']) + 1,
               bbox=[x1, y1, x2 - x1, y2 - y1], area=(x2 - x1) * (y2 - y1), iscrowd=0)
    if 'attributes' in obj:
        ann['attributes'] = obj['attributes']
    ann.update(extra)
    return ann


def _write_coco(root: str, name: str, seed: int, params: Dict, images: List[Dict],
                annotations: List[Dict]) -> None:
    info = dict(description='plb_mm synthetic blood smear', seed=seed)
    if 'attributes' in params:
        info['attributes'] = params['attributes']['names']
    coco = dict(info=info, images=images, annotations=annotations,
                categories=[dict(id=k + 1, name=n) for k, n in enumerate(CLASSES)])
    os.makedirs(osp.join(root, 'annotations'), exist_ok=True)
    with open(osp.join(root, 'annotations', f'{name}.json'), 'w') as f:
        json.dump(coco, f)


def _write_split(root: str, split: str, num: int, seed: int, params: Dict,
                 verbose: bool) -> None:
    import cv2
    size = params['img_size']
    os.makedirs(osp.join(root, split), exist_ok=True)
    regions = params.get('regions')
    sparse = bool(regions) and split in regions['splits']
    images, annotations, full_images, full_annotations = [], [], [], []
    for i in range(num):
        img, objects = draw_smear(_rng(seed, split, i), params)
        file_name = f'{split}/{i:06d}.jpg'
        cv2.imwrite(osp.join(root, file_name), img, [cv2.IMWRITE_JPEG_QUALITY, 95])
        image = dict(id=i + 1, file_name=file_name, width=size, height=size)
        if sparse:
            # SLA-Det: only the cells whose box centre lies in a labelled
            # region are annotated; <split>_full.json keeps them all.
            full_images.append(dict(image))
            image['labeled_regions'] = draw_labeled_regions(_rng(seed, split, i, 1), size,
                                                            objects, regions)
            labelled = [box_in_regions(o['bbox'], image['labeled_regions']) for o in objects]
            full_annotations += [_annotation(len(full_annotations) + k + 1, i + 1, o, labeled=lab)
                                 for k, (o, lab) in enumerate(zip(objects, labelled))]
            objects = [o for o, lab in zip(objects, labelled) if lab]
        images.append(image)
        annotations += [_annotation(len(annotations) + k + 1, i + 1, o)
                        for k, o in enumerate(objects)]
        if verbose and ((i + 1) % 100 == 0 or i + 1 == num):
            print(f'[synthetic cells] {split}: {i + 1}/{num} images', flush=True)
    _write_coco(root, split, seed, params, images, annotations)
    if sparse:
        _write_coco(root, f'{split}_full', seed, params, full_images, full_annotations)


def _request(num_train: int, num_val: int, seed: int, preset: Optional[str],
             overrides: Dict) -> Tuple[Dict, Dict]:
    """What ``meta.json`` records, the request in the form of the arguments
    that give it back (sizes, seed, preset, image size, other overrides), and
    what ``params.json`` records, the merged parameters it gives."""
    preset = preset or DEFAULT_PRESET
    overrides = {k: v for k, v in overrides.items() if v is not None}
    params = preset_params(preset, **overrides)
    meta = dict(num_train=num_train, num_val=num_val, seed=seed, preset=preset,
                **dict(overrides, img_size=params['img_size']))
    return json.loads(json.dumps(meta)), params


_GENERATED = {'meta.json', 'params.json', 'annotations', 'train', 'val'}


def _write(root: str, meta: Dict, params: Dict, verbose: bool, replace: bool = False) -> str:
    """Write the data set into a temporary folder beside ``root`` and rename it
    into place (``replace``: swap it for the set there)."""
    root = osp.abspath(root)
    parent = osp.dirname(root)
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=osp.basename(root) + '.tmp-', dir=parent)
    old = None
    try:
        if verbose:
            print(f"[synthetic cells] generating {meta['num_train']} train + {meta['num_val']} val "
                  f"images (preset {meta['preset']}, {meta['img_size']}px, seed {meta['seed']}) "
                  f'into {root}', flush=True)
        for split, num in (('train', meta['num_train']), ('val', meta['num_val'])):
            _write_split(tmp, split, num, meta['seed'], params, verbose)
        for name, data in (('meta.json', meta), ('params.json', params)):
            with open(osp.join(tmp, name), 'w') as f:
                json.dump(data, f, indent=1)
        if replace and osp.isdir(root):
            old = tempfile.mkdtemp(prefix=osp.basename(root) + '.old-', dir=parent)
            os.rename(root, osp.join(old, 'set'))
        try:
            os.rename(tmp, root)
        except OSError:
            # Another process finished first; its data set is identical.
            if not osp.isfile(osp.join(root, 'meta.json')):
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if old:
            shutil.rmtree(old, ignore_errors=True)
    return root


def generate_synthetic_cells(root: str, num_train: int = 160, num_val: int = 40,
                             seed: int = 0, img_size: Optional[int] = None,
                             cells: Optional[Dict] = None, preset: Optional[str] = None,
                             verbose: bool = True, **overrides) -> str:
    """Write the data set to ``root``: ``{train,val}/*.jpg`` and
    ``annotations/{train,val}.json`` (COCO; ``sladet``: also
    ``annotations/train_full.json``), plus ``meta.json`` (the request:
    ``num_train``, ``num_val``, ``seed``, ``preset``, ``img_size`` and any
    other override; as keyword arguments it gives the same set back) and
    ``params.json`` (the merged parameters).

    Args:
        preset (str): ``'bccd_like'`` (default), ``'easy'`` or ``'sladet'``.
        img_size, cells, **overrides: overrides of the preset's parameters
            (``None``: the preset's); see :func:`preset_params`.

    The data set is written to a temporary folder beside ``root`` and renamed
    into place, so concurrent callers (the ranks of a distributed run) never
    see a half-written data set.
    """
    meta, params = _request(num_train, num_val, seed, preset,
                            dict(overrides, img_size=img_size, cells=cells))
    return _write(root, meta, params, verbose)


def _load(path: str) -> Optional[Dict]:
    if not osp.isfile(path):
        return None
    with open(path) as f:
        return json.load(f)


def ensure_synthetic_cells(root: str, num_train: int = 160, num_val: int = 40,
                           seed: int = 0, img_size: Optional[int] = None,
                           cells: Optional[Dict] = None, preset: Optional[str] = None,
                           verbose: bool = True, **overrides) -> str:
    """Generate the data set into ``root`` unless it is there already
    (arguments as :func:`generate_synthetic_cells`).

    A set in ``root`` made for the same request (``meta.json``) but with other
    merged parameters (``params.json``: the preset changed in the code since),
    or made before the presets (it has the ``easy`` look, and its
    ``meta.json`` names no preset), is regenerated, with a message saying so.
    Such an old set is reused only when the arguments are its ``meta.json``
    as it is.

    Raises:
        ValueError: ``root`` holds a synthetic data set made for another
            request (delete it, or point ``data_root`` elsewhere), or holds
            files the generator did not write.
    """
    meta_file = osp.join(root, 'meta.json')
    with file_lock(root):
        have = _load(meta_file)
        if have is not None and 'preset' not in have:
            # A set from before the presets, with the easy look.
            old = json.loads(json.dumps(dict(num_train=num_train, num_val=num_val, seed=seed,
                                             img_size=img_size, cells=cells)))
            if preset is None and not overrides and old == have:
                return root  # asked for as it is (its meta.json passed back)
            what = 'it predates the presets (it has the easy look)'
        meta, params = _request(num_train, num_val, seed, preset,
                                dict(overrides, img_size=img_size, cells=cells))
        if have is None:
            return _write(root, meta, params, verbose)
        if 'preset' in have:
            if have != meta:
                diff = {k: (have.get(k), meta.get(k)) for k in sorted(set(have) | set(meta))
                        if have.get(k) != meta.get(k)}
                raise ValueError(
                    f'{meta_file}: the synthetic data set there was generated with other '
                    f'parameters (have, want): {diff}. Delete {root} to regenerate it, '
                    f'or set another data_root.')
            if _load(osp.join(root, 'params.json')) == params:
                return root
            what = f'preset {meta["preset"]!r} has changed since'
        extra = sorted(set(os.listdir(root)) - _GENERATED)
        if extra:
            raise ValueError(
                f'{meta_file}: the synthetic data set there is out of date ({what}), '
                f'but {root} also holds {extra}; move them, or delete {root}, to '
                f'regenerate it.')
        print(f'[synthetic cells] {root}: regenerating, {what}', flush=True)
        return _write(root, meta, params, verbose, replace=True)


@DATASETS.register_module()
class SyntheticCellsDataset(CheckedCocoDataset):
    """The synthetic blood-smear data set, generated into ``data_root`` on
    first use.

    Args:
        synthetic (dict): generation parameters passed to
            :func:`ensure_synthetic_cells`: ``num_train``, ``num_val``,
            ``seed``, ``preset`` (``'bccd_like'``, the default, ``'easy'``
            or ``'sladet'``) and overrides of the preset's parameters
            (``img_size``, ``cells``, ``debris``, ``look``). Defaults to
            ``DEFAULT_PARAMS``.
        (the others: :class:`CheckedCocoDataset`; its ``sparsify`` makes
        a sparse training set whose dropped cells stay in the images,
        unlabelled.)
    """

    METAINFO = dict(classes=CLASSES,
                    palette=[(220, 20, 60), (106, 0, 228), (0, 60, 100)])

    def __init__(self, *args, synthetic: Optional[dict] = None, **kwargs):
        self.synthetic = dict(DEFAULT_PARAMS, **(synthetic or {}))
        super().__init__(*args, **kwargs)

    def load_data_list(self) -> List[dict]:
        ensure_synthetic_cells(self.data_root, **self.synthetic)
        return super().load_data_list()
