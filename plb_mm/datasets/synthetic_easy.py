"""The ``easy`` preset's renderer of the synthetic data set (the generator's
only look before the presets; kept unchanged so that a seed gives the same
images and boxes as before, bit for bit).

What is drawn, on a pale pink background with stain noise:

============  ==========================================  =======================
class         look                                        bbox side (px)
============  ==========================================  =======================
RBC           pink disc with a pale centre and dark rim    56 - 104 (medium/large)
WBC           lilac cytoplasm, purple lobed nucleus        36 - 64  (medium)
Platelet      small dark purple dot                        6 - 16   (small)
============  ==========================================  =======================

Cells lie wholly inside the image and overlap little; every cell has its box.
"""
from typing import Dict, List, Optional, Tuple

import numpy as np

# (min, max) diameter in pixels and (min, max) count per image, per class.
EASY_CELLS = dict(
    RBC=dict(diameter=(56, 104), count=(3, 8)),
    WBC=dict(diameter=(36, 64), count=(1, 2)),
    Platelet=dict(diameter=(6, 16), count=(2, 7)),
)


def _place(rng, size: int, diameter: int, placed: List[Tuple[float, float, float]],
           max_overlap: float) -> Optional[Tuple[float, float]]:
    """A centre for a disc of ``diameter`` inside the image, overlapping the
    discs already placed by less than ``max_overlap`` of the smaller radius."""
    r = diameter / 2
    for _ in range(50):
        cx = rng.uniform(r, size - r)
        cy = rng.uniform(r, size - r)
        ok = True
        for px, py, pr in placed:
            if np.hypot(cx - px, cy - py) < r + pr - max_overlap * min(r, pr):
                ok = False
                break
        if ok:
            return cx, cy
    return None


def _draw_rbc(img, rng, cx, cy, d):
    import cv2
    r = d / 2
    # Work on the cell's square only.
    x0, y0 = max(0, int(cx - r) - 1), max(0, int(cy - r) - 1)
    x1, y1 = min(img.shape[1], int(cx + r) + 2), min(img.shape[0], int(cy + r) + 2)
    yy, xx = np.mgrid[y0:y1, x0:x1]
    dist = np.hypot(xx - cx, yy - cy) / r
    inside = dist <= 1.0
    # Biconcave look: darker rim, pale centre.
    base = np.array([120, 110, 215], np.float32)  # BGR
    pale = np.array([200, 190, 240], np.float32)
    t = np.clip((0.55 - dist) / 0.55, 0, 1)[..., None]
    col = base * (1 - t) + pale * t
    col = np.where((dist > 0.85)[..., None], col * 0.85, col)
    patch = img[y0:y1, x0:x1]
    patch[inside] = col[inside] + rng.normal(0, 4, size=(int(inside.sum()), 3))
    cv2.circle(img, (int(round(cx)), int(round(cy))), int(round(r)), (105, 95, 190), 1,
               lineType=cv2.LINE_AA)


def _draw_wbc(img, rng, cx, cy, d):
    import cv2
    r = d / 2
    c = (int(round(cx)), int(round(cy)))
    cv2.circle(img, c, int(round(r)), (225, 185, 200), -1, lineType=cv2.LINE_AA)
    # Lobed nucleus: 2-4 overlapping purple ellipses.
    for _ in range(rng.integers(2, 5)):
        ang = rng.uniform(0, 2 * np.pi)
        off = rng.uniform(0.1, 0.35) * r
        ex = int(round(cx + off * np.cos(ang)))
        ey = int(round(cy + off * np.sin(ang)))
        axes = (max(2, int(r * rng.uniform(0.25, 0.42))),
                max(2, int(r * rng.uniform(0.18, 0.32))))
        cv2.ellipse(img, (ex, ey), axes, float(np.degrees(ang)), 0, 360,
                    (150, 40, 95), -1, lineType=cv2.LINE_AA)


def _draw_platelet(img, rng, cx, cy, d):
    import cv2
    r = d / 2
    pts = []
    for k in range(7):
        ang = 2 * np.pi * k / 7
        rr = r * rng.uniform(0.7, 1.0)
        pts.append((cx + rr * np.cos(ang), cy + rr * np.sin(ang)))
    pts = np.round(np.array(pts)).astype(np.int32)
    cv2.fillPoly(img, [pts], (135, 50, 110), lineType=cv2.LINE_AA)


_DRAW = dict(RBC=_draw_rbc, WBC=_draw_wbc, Platelet=_draw_platelet)


def draw_easy(rng: np.random.Generator, size: int = 320,
              cells: Optional[Dict] = None) -> Tuple[np.ndarray, List[dict]]:
    """Draw one ``easy`` smear (``cells``: per class ``diameter`` and
    ``count`` as ``(min, max)``; default :data:`EASY_CELLS`).

    Returns:
        tuple: a ``(size, size, 3)`` uint8 BGR image and a list of
        ``dict(label=str, bbox=[x1, y1, x2, y2])`` for the cells in it.
    """
    import cv2
    cells = cells or EASY_CELLS
    img = np.empty((size, size, 3), np.float32)
    img[:] = (215, 212, 242)  # pale pink (BGR)
    img += rng.normal(0, 5, size=img.shape)
    placed: List[Tuple[float, float, float]] = []
    objects = []
    # Red cells first (they may overlap a little), then white cells, then
    # platelets on top.
    for label, overlap in (('RBC', 0.25), ('WBC', 0.1), ('Platelet', 0.0)):
        spec = cells[label]
        lo, hi = spec['count']
        for _ in range(int(rng.integers(lo, hi + 1))):
            d = int(rng.integers(spec['diameter'][0], spec['diameter'][1] + 1))
            if d > size:
                continue
            centre = _place(rng, size, d, placed, overlap)
            if centre is None:
                continue
            cx, cy = centre
            placed.append((cx, cy, d / 2))
            _DRAW[label](img, rng, cx, cy, d)
            x1, y1 = int(round(cx - d / 2)), int(round(cy - d / 2))
            x1, y1 = max(0, x1), max(0, y1)
            x2, y2 = min(size, x1 + d), min(size, y1 + d)
            objects.append(dict(label=label, bbox=[x1, y1, x2, y2]))
    img = cv2.GaussianBlur(img, (3, 3), 0.8)
    return np.clip(img, 0, 255).astype(np.uint8), objects
