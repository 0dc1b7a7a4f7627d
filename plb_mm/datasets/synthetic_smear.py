"""The realistic smear renderer of the synthetic data set (the ``bccd_like``
preset of :mod:`plb_mm.datasets.synthetic_cells`).

A smear is drawn in two independent steps, each with its own random stream:

1. :func:`smear_layout` places the cells (geometry only: centre, outline,
   whether an annotator would have boxed it, the box) -- everything the box
   statistics depend on;
2. :func:`render_smear` paints them: stain absorbances are added up per pixel
   (Beer-Lambert: where two red cells overlap the stain adds up and the overlap
   is darker, as in a real smear), then applied to an unevenly lit background,
   blurred (the image's focus, plus a defocused cell now and then) and given
   sensor noise.

What makes it hard, as real smears are: dense, touching and overlapping red
cells (clumps), cells cut by the image border (boxes clipped to the image,
kept when enough of the cell is visible), some red cells left without a box
(as in BCCD, whose annotators boxed about half of them), loose boxes around
platelets, debris that looks like platelets, stain and illumination
variation, defocus and noise.
"""
import math
from typing import Callable, Dict, List, Optional, Tuple

import numpy as np

# Outline: radius(theta) = r * (1 + sum_k a_k cos(k theta - phi_k)), k = 2..4.
_HARMONICS = np.arange(2, 5)
_CONTOUR_THETA = np.linspace(0, 2 * np.pi, 96, endpoint=False)


def _count(rng: np.random.Generator, spec: Dict) -> int:
    """How many cells to try to place: drawn from the probabilities
    ``count_p`` of 0, 1, 2, ... cells, or else uniform in ``count``."""
    if spec.get('count_p') is not None:
        p = np.asarray(spec['count_p'], np.float64)
        return int(rng.choice(len(p), p=p / p.sum()))
    lo, hi = spec['count']
    return int(rng.integers(lo, hi + 1))


def _size(rng: np.random.Generator, spec: Dict) -> float:
    """A diameter: ``normal(mean, sd)`` clipped to ``[min, max]``."""
    d = spec['diameter']
    return float(np.clip(rng.normal(d['mean'], d['sd']), d['min'], d['max']))


class _Cell:
    """One drawn object: its outline and, if boxed, its box."""

    __slots__ = ('label', 'cx', 'cy', 'r', 'harm', 'phase', 'box', 'labelled', 'extra')

    def __init__(self, label, cx, cy, r, harm, phase):
        self.label, self.cx, self.cy, self.r = label, cx, cy, r
        self.harm, self.phase = harm, phase
        self.box = None
        self.labelled = False
        self.extra = {}

    def radius_at(self, theta: np.ndarray) -> np.ndarray:
        k = _HARMONICS.reshape((-1,) + (1,) * theta.ndim)
        h = self.harm.reshape(k.shape)
        p = self.phase.reshape(k.shape)
        return self.r * (1 + (h * np.cos(k * theta[None] - p)).sum(0))

    def extent(self) -> Tuple[float, float, float, float]:
        rr = self.radius_at(_CONTOUR_THETA)
        xs = self.cx + rr * np.cos(_CONTOUR_THETA)
        ys = self.cy + rr * np.sin(_CONTOUR_THETA)
        return float(xs.min()), float(ys.min()), float(xs.max()), float(ys.max())


def _outline(rng, spec: Dict) -> Tuple[np.ndarray, np.ndarray]:
    """Harmonic amplitudes (elongation, then irregularity) and phases."""
    elong = rng.uniform(*spec['elongation'])
    irr = spec['irregularity']
    harm = np.array([elong, rng.uniform(0, irr), rng.uniform(0, irr / 2)])
    return harm, rng.uniform(0, 2 * np.pi, size=3)


def _try_place(rng, size: int, r: float, cells: List[_Cell], spec: Dict,
               overlaps: Dict[str, float]) -> Tuple[float, float]:
    """A centre for a cell of radius ``r``, uniform over the central
    ``spec['region']`` share of the image side (1: all of it; microscopists
    centre the field on a white cell), and up to ``spec['outside'] * r``
    beyond it (a cell cut by the border). With
    probability ``spec['cluster']`` the cell is put against a cell already
    placed (touching or overlapping it: a clump). A centre is accepted when,
    for every placed cell of class ``c``, the centre distance is at least
    ``(1 - overlaps[c]) * (r + r_c)``."""
    out = spec['outside'] * r
    margin = size * (1 - spec.get('region', 1.0)) / 2
    lo, hi = margin - out, size - margin + out
    same = [c for c in cells if c.label in overlaps]
    for _ in range(spec.get('tries', 30)):
        if same and rng.random() < spec['cluster']:
            nb = same[int(rng.integers(len(same)))]
            ang = rng.uniform(0, 2 * np.pi)
            dist = (r + nb.r) * rng.uniform(*spec['cluster_distance'])
            cx, cy = nb.cx + dist * math.cos(ang), nb.cy + dist * math.sin(ang)
            if not (lo <= cx <= hi and lo <= cy <= hi):
                continue
        else:
            cx, cy = rng.uniform(lo, hi, size=2)
        ok = True
        for c in same:
            need = (1 - overlaps[c.label]) * (r + c.r)
            if (cx - c.cx) ** 2 + (cy - c.cy) ** 2 < need * need:
                ok = False
                break
        if ok:
            return cx, cy
    return None


def _finish_box(rng, cell: _Cell, spec: Dict, size: int, unlabelled: float) -> None:
    """The annotator's box: the outline's extent scaled by ``box_scale`` about
    the centre, each side moved by ``box_jitter`` x the side (normal), clipped
    to the image. A cell is boxed when at least ``min_visible`` of its box's
    width and height lie inside the image, and then with probability
    ``1 - unlabelled``."""
    x1, y1, x2, y2 = cell.extent()
    s = spec.get('box_scale', 1.0)
    mx, my = (x1 + x2) / 2, (y1 + y2) / 2
    w, h = (x2 - x1) * s, (y2 - y1) * s
    j = spec.get('box_jitter', 0.0)
    if j:
        d = rng.normal(0, j, size=4)
        x1, x2 = mx - w / 2 + d[0] * w, mx + w / 2 + d[1] * w
        y1, y2 = my - h / 2 + d[2] * h, my + h / 2 + d[3] * h
    else:
        x1, x2, y1, y2 = mx - w / 2, mx + w / 2, my - h / 2, my + h / 2
    full_w, full_h = x2 - x1, y2 - y1
    bx1, by1 = max(0, int(round(x1))), max(0, int(round(y1)))
    bx2, by2 = min(size, int(round(x2))), min(size, int(round(y2)))
    keep = rng.random() >= unlabelled
    mv = spec['min_visible']
    if bx2 - bx1 < max(2, mv * full_w) or by2 - by1 < max(2, mv * full_h):
        keep = False
    cell.labelled = keep
    cell.box = [bx1, by1, bx2, by2] if keep else None


def smear_layout(rng: np.random.Generator, size: int, params: Dict) -> List[_Cell]:
    """Place the cells of one smear (white cells, then red cells, then
    platelets, then debris) and decide their boxes."""
    cells_cfg = params['cells']
    cells: List[_Cell] = []
    for label in ('WBC', 'RBC', 'Platelet'):
        spec = cells_cfg[label]
        un = spec.get('unlabelled', (0.0, 0.0))
        unlabelled = rng.uniform(*un)
        for _ in range(_count(rng, spec)):
            r = _size(rng, spec) / 2
            centre = _try_place(rng, size, r, cells, spec, spec['overlap'])
            if centre is None:
                continue
            harm, phase = _outline(rng, spec)
            cell = _Cell(label, centre[0], centre[1], r, harm, phase)
            _finish_box(rng, cell, spec, size, unlabelled)
            cells.append(cell)
    debris = params['debris']
    for _ in range(int(rng.poisson(debris['count']))):
        r = rng.uniform(*debris['diameter']) / 2
        cx, cy = rng.uniform(0, size, size=2)
        harm, phase = _outline(rng, dict(elongation=(0, 0.3), irregularity=0.2))
        cells.append(_Cell('debris', cx, cy, r, harm, phase))
    return cells


# ---------------------------------------------------------------- painting


def _smooth_noise(rng, shape, sigma: float) -> np.ndarray:
    """Zero-mean, unit-ish smooth noise (blurred white noise)."""
    import cv2
    n = rng.standard_normal(shape, dtype=np.float32)
    n = cv2.GaussianBlur(n, (0, 0), sigma)
    return n / (n.std() + 1e-6)


def _patch(cell: _Cell, size: int, margin: float):
    """Pixel grid of the cell's square (clipped to the image), the offsets from
    the centre, the angle and the normalised radius rho (1 on the outline)."""
    ext = cell.r * (1 + np.abs(cell.harm).sum()) + margin
    x0, y0 = max(0, int(cell.cx - ext)), max(0, int(cell.cy - ext))
    x1, y1 = min(size, int(cell.cx + ext) + 2), min(size, int(cell.cy + ext) + 2)
    if x1 <= x0 or y1 <= y0:
        return None
    dx = np.arange(x0, x1, dtype=np.float32)[None, :] - np.float32(cell.cx)
    dy = np.arange(y0, y1, dtype=np.float32)[:, None] - np.float32(cell.cy)
    dist = np.sqrt(dx * dx + dy * dy)
    rho = dist / _radius_at(cell, dx, dy, dist)
    return (y0, y1, x0, x1), dx, dy, dist, rho


def _radius_at(cell: _Cell, dx: np.ndarray, dy: np.ndarray, dist: np.ndarray) -> np.ndarray:
    """:meth:`_Cell.radius_at` for the pixels at offsets ``dx, dy``, from
    cos/sin of the multiple angles (no trigonometric calls per pixel)."""
    inv = np.float32(1) / np.maximum(dist, np.float32(1e-6))
    c, s = dx * inv, dy * inv
    c2, s2 = c * c - s * s, 2 * c * s
    c3, s3 = c * (4 * c * c - 3), s * (3 - 4 * s * s)
    c4, s4 = 2 * c2 * c2 - 1, 2 * s2 * c2
    out = np.ones_like(dist)
    for (ck, sk), h, ph in zip(((c2, s2), (c3, s3), (c4, s4)), cell.harm, cell.phase):
        # cos(k theta - phi) = cos(k theta) cos(phi) + sin(k theta) sin(phi)
        out += np.float32(h * math.cos(ph)) * ck + np.float32(h * math.sin(ph)) * sk
    return out * np.float32(cell.r)


def _blurred_patch(rng, cell: _Cell, size: int, look: Dict):
    """A cell's defocus (gaussian sigma; 0 but for ``look['cell_blur_p']`` of
    the cells) and its :func:`_patch`, wide enough for the blur (None when
    the cell is off the image)."""
    blur = rng.uniform(*look['cell_blur']) if rng.random() < look['cell_blur_p'] else 0.0
    return blur, _patch(cell, size, 3 * blur + 2)


def _edge(rho: np.ndarray, r: float, soft: float) -> np.ndarray:
    """1 inside the outline, 0 outside, a linear ramp ``soft`` px wide."""
    return np.clip((1 - rho) * r / soft + 0.5, 0, 1)


def _add(absorb, sl, density: np.ndarray, vec: np.ndarray, blur: float = 0.0):
    import cv2
    if blur > 0:
        density = cv2.GaussianBlur(density, (0, 0), blur)
    y0, y1, x0, x1 = sl
    absorb[y0:y1, x0:x1] += density[..., None] * vec


def _paint_rbc(absorb, rng, cell, size, look, stain):
    blur, p = _blurred_patch(rng, cell, size, look)
    if p is None:
        return
    sl, dx, dy, dist, rho = p
    # Biconcave: a pale centre (a flat disc with a soft edge, a little
    # off-centre) inside a darker rim.
    pallor = rng.uniform(*look['rbc_pallor'])
    width = rng.uniform(0.3, 0.55)
    ox, oy = rng.normal(0, 0.06, size=2)
    rc = np.sqrt((dx / cell.r - ox) ** 2 + (dy / cell.r - oy) ** 2)
    thick = (1 - pallor * np.clip((width - rc) / 0.25 + 0.5, 0, 1)
             + 0.25 * np.exp(-((rho - 0.86) / 0.09) ** 2))
    dens = _edge(rho, cell.r, 1.2) * thick * rng.uniform(*look['rbc_density'])
    if rng.random() < look['refractile_p']:
        # A bright refractile spot or two (a drying artefact seen in BCCD).
        for _ in range(int(rng.integers(1, 3))):
            sx, sy = rng.normal(0, 0.25, size=2) * cell.r
            s2 = rng.uniform(1.5, 3.5) ** 2
            dens = dens - 0.9 * np.exp(-((dx - sx) ** 2 + (dy - sy) ** 2) / (2 * s2))
    _add(absorb, sl, dens.astype(np.float32), stain['RBC'], blur)


def _paint_wbc(absorb, rng, cell, size, look, stain):
    blur, p = _blurred_patch(rng, cell, size, look)
    if p is None:
        return
    sl, dx, dy, dist, rho = p
    inner = cell.r
    cyto = _edge(rho, inner, 1.5)
    kind = rng.choice(3, p=look['wbc_kinds'])
    strands = []
    tex = _smooth_noise(rng, rho.shape, 1.2)
    cyto_d = cyto * (0.55 + 0.1 * tex) * rng.uniform(0.8, 1.2)
    if kind == 0:    # neutrophil: 3-5 lobes on an arc
        n = int(rng.integers(3, 6))
        a0 = rng.uniform(0, 2 * np.pi)
        span = rng.uniform(2.2, 3.8)
        rad = rng.uniform(0.28, 0.4) * inner
        centres = [(rad * math.cos(a0 + span * k / (n - 1)) + rng.normal(0, 0.04 * inner),
                    rad * math.sin(a0 + span * k / (n - 1)) + rng.normal(0, 0.04 * inner))
                   for k in range(n)]
        sig = [rng.uniform(0.23, 0.29) * inner for _ in range(n)]
        strands = [(centres[k], centres[k + 1]) for k in range(n - 1)]
    elif kind == 1:  # lymphocyte: one large round nucleus, thin cytoplasm
        o = rng.uniform(0, 0.15) * inner
        a = rng.uniform(0, 2 * np.pi)
        centres = [(o * math.cos(a), o * math.sin(a))]
        sig = [rng.uniform(0.5, 0.62) * inner]
        for _ in range(2):  # an uneven outline
            b = rng.uniform(0, 2 * np.pi)
            centres.append((centres[0][0] + 0.4 * inner * math.cos(b),
                            centres[0][1] + 0.4 * inner * math.sin(b)))
            sig.append(rng.uniform(0.2, 0.3) * inner)
    else:            # eosinophil / monocyte: two large lobes, granular cytoplasm
        a = rng.uniform(0, 2 * np.pi)
        o = rng.uniform(0.25, 0.4) * inner
        centres = [(o * math.cos(a), o * math.sin(a)),
                   (-o * math.cos(a + 0.6), -o * math.sin(a + 0.6))]
        sig = [rng.uniform(0.22, 0.3) * inner for _ in range(2)]
        gran = np.clip(_smooth_noise(rng, tex.shape, 1.3) + 0.2, 0, None)
        _add(absorb, sl, (cyto * gran * 0.35).astype(np.float32), stain['granule'], blur)
    # The nucleus: the union of its lobes (each a disc with a soft edge) and
    # of the thin strands that join a neutrophil's lobes.
    field = np.zeros_like(dist)
    for (ex, ey), s in zip(centres, sig):
        np.maximum(field, np.exp(-((dx - ex) ** 2 + (dy - ey) ** 2) / (2 * s * s)), out=field)
    for (ax, ay), (bx, by) in strands:
        vx, vy = bx - ax, by - ay
        t = np.clip(((dx - ax) * vx + (dy - ay) * vy) / (vx * vx + vy * vy + 1e-6), 0, 1)
        d2 = (dx - ax - t * vx) ** 2 + (dy - ay - t * vy) ** 2
        np.maximum(field, np.exp(-d2 / (2 * (0.07 * inner) ** 2)), out=field)
    nucleus = np.clip((field - 0.5) / 0.08, 0, 1) * cyto
    nuc_d = nucleus * (1.0 + 0.12 * tex) * rng.uniform(0.85, 1.2)
    _add(absorb, sl, (cyto_d * (1 - nucleus)).astype(np.float32), stain['cytoplasm'], blur)
    _add(absorb, sl, nuc_d.astype(np.float32), stain['nucleus'], blur)


def _paint_platelet(absorb, rng, cell, size, look, stain):
    blur, p = _blurred_patch(rng, cell, size, look)
    if p is None:
        return
    sl, dx, dy, dist, rho = p
    tex = _smooth_noise(rng, rho.shape, 0.8)
    dens = _edge(rho, cell.r, 1.0) * (0.8 + 0.25 * tex) * rng.uniform(0.7, 1.2)
    _add(absorb, sl, dens.astype(np.float32), stain['platelet'], blur)


def _paint_debris(absorb, rng, cell, size, look, stain):
    p = _patch(cell, size, 2)
    if p is None:
        return
    sl, dx, dy, dist, rho = p
    dens = _edge(rho, cell.r, 1.0) * rng.uniform(0.3, 1.0)
    _add(absorb, sl, dens.astype(np.float32), stain['debris'] if rng.random() < 0.5
         else stain['platelet'] * 0.6)


_PAINT = dict(RBC=_paint_rbc, WBC=_paint_wbc, Platelet=_paint_platelet, debris=_paint_debris)


def _stain(rng, look) -> Dict[str, np.ndarray]:
    """Per-image stain absorbance vectors (BGR), each scaled and tinted."""
    out = {}
    gain = rng.uniform(*look['stain_gain'])
    for name, vec in look['stain'].items():
        tint = np.exp(rng.normal(0, look['stain_tint'], size=3))
        out[name] = (np.asarray(vec, np.float32) * gain * tint).astype(np.float32)
    return out


def render_smear(rng: np.random.Generator, size: int, cells: List[_Cell],
                 params: Dict, painters: Optional[Dict[str, Callable]] = None) -> np.ndarray:
    """Paint ``cells``: a ``(size, size, 3)`` uint8 BGR image. ``painters``
    replaces the painter of a cell label (``(absorb, rng, cell, size, look,
    stain) -> None``; the ``sladet`` preset paints its white cells so)."""
    import cv2
    look = params['look']
    stain = _stain(rng, look)
    absorb = np.zeros((size, size, 3), np.float32)
    paint = dict(_PAINT, **(painters or {}))
    for cell in cells:
        paint[cell.label](absorb, rng, cell, size, look, stain)
    # Background: colour cast, brightness, vignetting and a linear gradient.
    bg = np.asarray(look['background'], np.float32) * np.exp(
        rng.normal(0, look['background_cast'], size=3)).astype(np.float32)
    bg *= rng.uniform(*look['brightness'])
    xx = (np.arange(size, dtype=np.float32) / size - 0.5)[None, :]
    yy = xx.T
    vig = rng.uniform(*look['vignetting'])
    ang = rng.uniform(0, 2 * np.pi)
    grad = rng.uniform(*look['gradient'])
    cos, sin = np.float32(math.cos(ang)), np.float32(math.sin(ang))
    light = ((1 - np.float32(2 * vig) * (xx * xx + yy * yy))
             * (1 + np.float32(grad) * (xx * cos + yy * sin)))
    img = light[..., None] * bg * np.exp(-absorb)
    sigma = rng.uniform(*look['focus_blur'])
    if rng.random() < look['defocus_p']:
        sigma = rng.uniform(*look['defocus_blur'])
    img = cv2.GaussianBlur(img, (0, 0), sigma)
    # Sensor noise of standard deviation ``noise`` (uniform: cheaper to draw
    # than normal, and the same after JPEG).
    noise = rng.uniform(*look['noise'])
    img += ((rng.random(img.shape, dtype=np.float32) - np.float32(0.5))
            * np.float32(noise * 12 ** 0.5))
    return np.clip(img + 0.5, 0, 255).astype(np.uint8)


def draw_bccd_like(rng: np.random.Generator, size: int, params: Dict):
    """One smear: the layout and the painting draw from two streams split off
    ``rng``, so a change of the look keeps the boxes."""
    layout_rng, paint_rng = (np.random.default_rng(s) for s in rng.integers(0, 2**63, size=2))
    cells = smear_layout(layout_rng, size, params)
    img = render_smear(paint_rng, size, cells, params)
    objects = [dict(label=c.label, bbox=c.box) for c in cells if c.labelled]
    return img, objects
