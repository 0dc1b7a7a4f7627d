"""The SLA-Det variant of the synthetic smear (the ``sladet`` preset of
:mod:`plb_mm.datasets.synthetic_cells`): white cells with 6 visible binary
attributes, and training images labelled only inside a few rectangles.

**Attributes.** Each white cell draws 6 binary attributes (independently,
with the probabilities ``attributes.p`` of the preset) and is painted with
them, named after the paper's Table 5 (and in its order, as the
LeukemiaAttri reader writes them,
:data:`~plb_mm.datasets.converters.leukemia_attri.LEUKEMIA_ATTRIBUTES`):

====  =========================  ==========================  ============================
 #    name                       0                           1
====  =========================  ==========================  ============================
 0    nuclear_chromatin (NC)     fine: smooth, lighter       coarse: dark, clumped
 1    nuclear_shape (NS)         regular: one round nucleus  irregular: 2-4 lobes + strands
 2    nucleus (N)                no nucleolus                1-2 pale blue nucleoli
 3    cytoplasm (C)              scanty: nucleus ~0.7 r      abundant: nucleus ~0.45 r
 4    cytoplasmic_basophilia     pale pink-lilac             deep blue
 5    cytoplasmic_vacuoles (CV)  none                        clear round holes
====  =========================  ==========================  ============================

Red cells and platelets carry ``[-1] * 6`` (unknown). The painter draws every
random number whatever the attributes are, so two cells that differ in one
attribute differ only in how that attribute looks.

**Labelled regions.** For the splits in ``regions.splits`` (``train``) each
image gets one to a few non-overlapping rectangles (count drawn from
``regions.count_p`` over 0, 1, 2, ...; their total area a share of the image
drawn from ``regions.area``, ~20 % as in the paper's Sparse-LeukemiaAttri;
each centred, with probability ``regions.on_wbc``, near a white cell, as
the paper's patches are the 100x fields an expert chose), written to the
image record as ``labeled_regions: [[x1, y1, x2, y2], ...]`` (int pixels).
A cell belongs to a region when the centre of its box lies in it, half-open
(``x1 <= cx < x2`` and ``y1 <= cy < y2``, the rule the SLA-Det head applies
to priors): those cells are annotated, every other cell stays in the image
unannotated. ``annotations/<split>_full.json`` keeps all the boxes of those
images (each with ``labeled``: inside a region or not, and no
``labeled_regions``: an oracle training set, and the hidden truth against
which pseudo-labels are scored). Other splits are annotated in full.
"""
import math
from typing import Dict, List, Sequence

import numpy as np

from .converters.leukemia_attri import LEUKEMIA_ATTRIBUTES
from .synthetic_smear import (_Cell, _add, _blurred_patch, _edge, _smooth_noise, render_smear,
                              smear_layout)

__all__ = ['SLADET_ATTRIBUTES', 'UNKNOWN_ATTRIBUTES', 'draw_sladet', 'draw_labeled_regions',
           'box_in_regions', 'paint_wbc_attributes']

SLADET_ATTRIBUTES = LEUKEMIA_ATTRIBUTES
UNKNOWN_ATTRIBUTES = [-1] * len(SLADET_ATTRIBUTES)
_MAX_LOBES = 4
_VACUOLE_TRIES = 24


def _blobs(dx, dy, centres, radii) -> np.ndarray:
    """Union of Gaussian blobs whose 0.5 level is a circle of each radius."""
    field = np.zeros_like(dx * dy)
    for (ex, ey), rad in zip(centres, radii):
        s2 = 2 * (rad / 1.1774) ** 2          # exp(-d^2 / 2 s^2) = 0.5 at d = rad
        np.maximum(field, np.exp(-((dx - ex) ** 2 + (dy - ey) ** 2) / s2), out=field)
    return field


def _discs(dx, dy, centres, radii, soft: float = 1.0) -> np.ndarray:
    """1 inside any of the discs, 0 outside, edges ``soft`` px wide."""
    out = np.zeros_like(dx * dy)
    for (ex, ey), rad in zip(centres, radii):
        d = np.sqrt((dx - ex) ** 2 + (dy - ey) ** 2)
        np.maximum(out, np.clip((rad - d) / soft + 0.5, 0, 1), out=out)
    return out


def paint_wbc_attributes(absorb, rng, cell: _Cell, size: int, look: Dict, stain: Dict) -> None:
    """Paint a white cell with the attributes in ``cell.extra['attributes']``
    (see the module docstring); a painter for
    :func:`~.synthetic_smear.render_smear`."""
    chromatin, shape, nucleolus, cytoplasm, basophilia, vacuoles = cell.extra['attributes']
    blur, p = _blurred_patch(rng, cell, size, look)
    if p is None:
        return
    sl, dx, dy, dist, rho = p
    r = cell.r
    cyto = _edge(rho, r, 1.5)
    tex = _smooth_noise(rng, rho.shape, 1.2)
    clumps = np.clip(_smooth_noise(rng, rho.shape, 1.6), -1.5, 1.5)
    # Every draw happens whatever the attributes are.
    rn = r * ((0.42 if cytoplasm else 0.68) + 0.08 * rng.random())
    off, ang = rng.uniform(0, 0.1) * r, rng.uniform(0, 2 * np.pi)
    ncx, ncy = off * math.cos(ang), off * math.sin(ang)
    n_lobes = int(rng.integers(2, _MAX_LOBES + 1))
    a0, span = rng.uniform(0, 2 * np.pi), rng.uniform(2.6, 3.8)
    jitter = rng.normal(0, 0.04, size=(_MAX_LOBES, 2))
    if shape:   # irregular: lobes on an arc, joined by thin strands
        arc, lobe = 0.75 * rn, 0.42 * rn
        centres = [(ncx + arc * math.cos(a0 + span * k / (n_lobes - 1)) + jitter[k, 0] * rn,
                    ncy + arc * math.sin(a0 + span * k / (n_lobes - 1)) + jitter[k, 1] * rn)
                   for k in range(n_lobes)]
        radii = [lobe] * n_lobes
    else:       # regular: one round nucleus
        centres, radii = [(ncx, ncy)], [rn]
    field = _blobs(dx, dy, centres, radii)
    for (ax, ay), (bx, by) in zip(centres[:-1], centres[1:]):
        vx, vy = bx - ax, by - ay
        t = np.clip(((dx - ax) * vx + (dy - ay) * vy) / (vx * vx + vy * vy + 1e-6), 0, 1)
        d2 = (dx - ax - t * vx) ** 2 + (dy - ay - t * vy) ** 2
        np.maximum(field, np.exp(-d2 / (2 * (0.07 * r) ** 2)), out=field)
    nucleus = np.clip((field - 0.5) / 0.08, 0, 1) * cyto
    gain = rng.uniform(0.9, 1.1)
    if chromatin:   # coarse: dark, clumped
        nuc_d = nucleus * (1.25 + 0.3 * clumps) * gain
    else:           # fine: smooth, lighter
        nuc_d = nucleus * (0.75 + 0.06 * tex) * gain
    # Nucleoli: pale blue discs in the (first) lobe.
    k_nucleoli = int(rng.integers(1, 3))
    r_spot = min(0.6 * radii[0], max(3.0, 0.22 * rn))
    spots = rng.uniform(-0.6, 0.6, size=(2, 2)) * (radii[0] - r_spot)
    holes = _discs(dx, dy, [(centres[0][0] + sx, centres[0][1] + sy)
                            for sx, sy in spots[:k_nucleoli]], [r_spot] * k_nucleoli) * nucleus
    if nucleolus:
        nuc_d = nuc_d * (1 - 0.7 * holes)
        _add(absorb, sl, (0.7 * holes).astype(np.float32), stain['nucleolus'], blur)
    # Vacuoles: clear holes where the cytoplasm is (not over the nucleus).
    v_ang = rng.uniform(0, 2 * np.pi, _VACUOLE_TRIES)
    v_rad = np.sqrt(rng.uniform(0.1, 0.8, _VACUOLE_TRIES)) * r
    v_size = np.maximum(2.0, rng.uniform(0.06, 0.1, _VACUOLE_TRIES) * r)
    n_vac = int(rng.integers(3, 7))
    vac = np.zeros_like(nucleus)
    if vacuoles:
        # In the cytoplasm (off the nucleus) where there is room; where
        # there is not (scanty cytoplasm), over the nucleus too. Never on
        # the cell's edge or on another vacuole.
        chosen = []
        for off_nucleus in (True, False):
            for a, d, s in zip(v_ang, v_rad, v_size):
                if len(chosen) >= (n_vac if off_nucleus else 3):
                    break
                c = (d * math.cos(a), d * math.sin(a))
                disc = _discs(dx, dy, [c], [s + 1])
                if (disc * (off_nucleus * nucleus + (rho > 0.92) + vac)).max() < 0.05:
                    chosen.append(c)
                    vac = np.maximum(vac, _discs(dx, dy, [c], [s]))
    nuc_d = nuc_d * (1 - 0.9 * vac)
    cyto_d = cyto * (1 - nucleus) * (0.6 + 0.1 * tex) * rng.uniform(0.85, 1.15) * (1 - 0.9 * vac)
    vec = stain['basophilic'] if basophilia else stain['cytoplasm_pale']
    _add(absorb, sl, cyto_d.astype(np.float32), vec, blur)
    _add(absorb, sl, nuc_d.astype(np.float32), stain['nucleus'], blur)


def draw_sladet(rng: np.random.Generator, size: int, params: Dict):
    """One smear of the ``sladet`` preset: layout, attributes and painting
    draw from three streams split off ``rng``.

    Returns:
        tuple: the uint8 BGR image and ``dict(label, bbox, attributes)`` of
        the boxed cells (``attributes``: 6 ints, ``-1`` for non-white cells).
    """
    layout_rng, paint_rng, attr_rng = (np.random.default_rng(s)
                                       for s in rng.integers(0, 2**63, size=3))
    cells = smear_layout(layout_rng, size, params)
    p = np.asarray(params['attributes']['p'], np.float64)
    for cell in cells:
        if cell.label == 'WBC':
            cell.extra['attributes'] = [int(v) for v in attr_rng.random(len(p)) < p]
    img = render_smear(paint_rng, size, cells, params, painters=dict(WBC=paint_wbc_attributes))
    objects = [dict(label=c.label, bbox=c.box,
                    attributes=c.extra.get('attributes', list(UNKNOWN_ATTRIBUTES)))
               for c in cells if c.labelled]
    return img, objects


def box_in_regions(bbox: Sequence[float], regions: Sequence[Sequence[float]]) -> bool:
    """Whether the centre of ``bbox`` (x1, y1, x2, y2) lies in one of
    ``regions``, half-open: ``x1 <= cx < x2`` and ``y1 <= cy < y2``."""
    cx, cy = (bbox[0] + bbox[2]) / 2, (bbox[1] + bbox[3]) / 2
    return any(x1 <= cx < x2 and y1 <= cy < y2 for x1, y1, x2, y2 in regions)


def _overlaps(a: Sequence[int], b: Sequence[int]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def draw_labeled_regions(rng: np.random.Generator, size: int, objects: Sequence[Dict],
                         spec: Dict) -> List[List[int]]:
    """The labelled rectangles of one ``size x size`` image (int pixels,
    inside the image, not overlapping each other).

    Args:
        objects: the image's boxed cells (``label``, ``bbox``); a region is
            centred near a white cell that no region holds yet with
            probability ``spec['on_wbc']`` (offset uniform within
            ``spec['jitter']`` x the region's side), else anywhere.
        spec (dict): ``count_p`` (probabilities of 0, 1, 2, ... regions; at
            least one is drawn), ``area`` ((min, max) of their total area as
            a share of the image), ``aspect`` ((min, max) width / height,
            log-uniform), ``on_wbc``, ``jitter``, ``tries`` (placements tried
            per region before it is left out).
    """
    count_p = np.asarray(spec['count_p'], np.float64)
    k = max(1, int(rng.choice(len(count_p), p=count_p / count_p.sum())))
    total = rng.uniform(*spec['area']) * size * size
    shares = rng.dirichlet(np.full(k, 4.0))
    wbcs = [o['bbox'] for o in objects if o['label'] == 'WBC']
    lo, hi = (math.log(a) for a in spec['aspect'])
    regions: List[List[int]] = []
    for share in shares:
        for _ in range(spec.get('tries', 30)):
            aspect = math.exp(rng.uniform(lo, hi))
            w = int(round(min(size, math.sqrt(total * share * aspect))))
            h = int(round(min(size, total * share / max(w, 1))))
            free = [b for b in wbcs if not box_in_regions(b, regions)]
            if free and rng.random() < spec['on_wbc']:
                b = free[int(rng.integers(len(free)))]
                jx, jy = rng.uniform(-spec['jitter'], spec['jitter'], size=2)
                cx, cy = (b[0] + b[2]) / 2 + jx * w, (b[1] + b[3]) / 2 + jy * h
            else:
                cx, cy = rng.uniform(0, size, size=2)
            x1 = int(np.clip(round(cx - w / 2), 0, size - w))
            y1 = int(np.clip(round(cy - h / 2), 0, size - h))
            region = [x1, y1, x1 + w, y1 + h]
            if w >= 1 and h >= 1 and not any(_overlaps(region, o) for o in regions):
                regions.append(region)
                break
    return regions
