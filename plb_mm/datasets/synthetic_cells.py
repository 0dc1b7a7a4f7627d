"""Synthetic blood-smear images with COCO annotations (SPEC section 6).

The default data set of plb_mm: it is generated on first use, needs no
download, and is deterministic for a seed (image ``i`` of a split is drawn from
``numpy.random.default_rng([seed, split_index, i])``, so a larger data set
starts with the same images as a smaller one).

What is drawn, on a pale pink background with stain noise:

============  ==========================================  =======================
class         look                                        bbox side (px, default)
============  ==========================================  =======================
RBC           pink disc with a pale centre and dark rim    56 - 104 (medium/large)
WBC           lilac cytoplasm, purple lobed nucleus        36 - 64  (medium)
Platelet      small dark purple dot                        6 - 16   (small)
============  ==========================================  =======================

With COCO's area bands (small < 32^2 <= medium < 96^2 <= large) all three bands
occur: platelets are small, white cells medium, red cells medium and large.
Cells lie wholly inside the image, so every box is valid.
"""
import json
import os
import os.path as osp
import shutil
import tempfile
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from mmdet.registry import DATASETS

from .checked_coco import CheckedCocoDataset

CLASSES = ('RBC', 'WBC', 'Platelet')
SPLITS = ('train', 'val')

# (min, max) diameter in pixels and (min, max) count per image, per class.
DEFAULT_CELLS = dict(
    RBC=dict(diameter=(56, 104), count=(3, 8)),
    WBC=dict(diameter=(36, 64), count=(1, 2)),
    Platelet=dict(diameter=(6, 16), count=(2, 7)),
)


def _rng(seed: int, split: str, index: int) -> np.random.Generator:
    return np.random.default_rng([seed, SPLITS.index(split), index])


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


def draw_smear(rng: np.random.Generator, size: int = 320,
               cells: Optional[Dict] = None) -> Tuple[np.ndarray, List[dict]]:
    """Draw one smear.

    Returns:
        tuple: a ``(size, size, 3)`` uint8 BGR image and a list of
        ``dict(label=str, bbox=[x1, y1, x2, y2])`` for the cells in it.
    """
    import cv2
    cells = cells or DEFAULT_CELLS
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


def _write_split(root: str, split: str, num: int, seed: int, size: int,
                 cells: Optional[Dict], verbose: bool) -> None:
    import cv2
    os.makedirs(osp.join(root, split), exist_ok=True)
    images, annotations = [], []
    for i in range(num):
        img, objects = draw_smear(_rng(seed, split, i), size, cells)
        file_name = f'{split}/{i:06d}.jpg'
        cv2.imwrite(osp.join(root, file_name), img, [cv2.IMWRITE_JPEG_QUALITY, 95])
        images.append(dict(id=i + 1, file_name=file_name, width=size, height=size))
        for obj in objects:
            x1, y1, x2, y2 = obj['bbox']
            annotations.append(
                dict(id=len(annotations) + 1, image_id=i + 1,
                     category_id=CLASSES.index(obj['label']) + 1,
                     bbox=[x1, y1, x2 - x1, y2 - y1],
                     area=(x2 - x1) * (y2 - y1), iscrowd=0))
        if verbose and ((i + 1) % 100 == 0 or i + 1 == num):
            print(f'[synthetic cells] {split}: {i + 1}/{num} images', flush=True)
    coco = dict(
        info=dict(description='plb_mm synthetic blood smear', seed=seed),
        images=images, annotations=annotations,
        categories=[dict(id=k + 1, name=n) for k, n in enumerate(CLASSES)])
    os.makedirs(osp.join(root, 'annotations'), exist_ok=True)
    with open(osp.join(root, 'annotations', f'{split}.json'), 'w') as f:
        json.dump(coco, f)


# Generation parameters of the default data set (configs/_base_/datasets/synthetic_cells.py).
DEFAULT_PARAMS = dict(num_train=160, num_val=40, seed=0, img_size=320)


def generate_synthetic_cells(root: str, num_train: int = 160, num_val: int = 40,
                             seed: int = 0, img_size: int = 320,
                             cells: Optional[Dict] = None,
                             verbose: bool = True) -> str:
    """Write the data set to ``root``: ``{train,val}/*.jpg`` and
    ``annotations/{train,val}.json`` (COCO), plus ``meta.json`` holding the
    generation parameters.

    The data set is written to a temporary folder beside ``root`` and renamed
    into place, so concurrent callers (the ranks of a distributed run) never
    see a half-written data set.
    """
    params = dict(num_train=num_train, num_val=num_val, seed=seed,
                  img_size=img_size, cells=cells or DEFAULT_CELLS)
    root = osp.abspath(root)
    parent = osp.dirname(root)
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=osp.basename(root) + '.tmp-', dir=parent)
    try:
        if verbose:
            print(f'[synthetic cells] generating {num_train} train + {num_val} val '
                  f'images ({img_size}px, seed {seed}) into {root}', flush=True)
        for split, num in (('train', num_train), ('val', num_val)):
            _write_split(tmp, split, num, seed, img_size, cells, verbose)
        with open(osp.join(tmp, 'meta.json'), 'w') as f:
            json.dump(params, f, indent=1)
        try:
            os.rename(tmp, root)
        except OSError:
            # Another process finished first; its data set is identical.
            if not osp.isfile(osp.join(root, 'meta.json')):
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return root


def ensure_synthetic_cells(root: str, **params) -> str:
    """Generate the data set into ``root`` unless it is there already.

    Raises:
        ValueError: ``root`` holds a synthetic data set made with other
            parameters (delete it, or point ``data_root`` elsewhere).
    """
    meta_file = osp.join(root, 'meta.json')
    if not osp.isfile(meta_file):
        return generate_synthetic_cells(root, **params)
    with open(meta_file) as f:
        have = json.load(f)
    want = dict(DEFAULT_PARAMS, cells=DEFAULT_CELLS)
    want.update({k: v for k, v in params.items() if k != 'verbose'})
    want['cells'] = want['cells'] or DEFAULT_CELLS
    want = json.loads(json.dumps(want))  # tuples -> lists, as stored
    if have != want:
        diff = {k: (have.get(k), want[k]) for k in want if have.get(k) != want[k]}
        raise ValueError(
            f'{meta_file}: the synthetic data set there was generated with other '
            f'parameters (have, want): {diff}. Delete {root} to regenerate it, '
            f'or set another data_root.')
    return root


@DATASETS.register_module()
class SyntheticCellsDataset(CheckedCocoDataset):
    """The synthetic blood-smear data set, generated into ``data_root`` on
    first use.

    Args:
        synthetic (dict): generation parameters passed to
            :func:`generate_synthetic_cells` (``num_train``, ``num_val``,
            ``seed``, ``img_size``, ``cells``). Defaults to
            ``DEFAULT_PARAMS``.
    """

    METAINFO = dict(classes=CLASSES,
                    palette=[(220, 20, 60), (106, 0, 228), (0, 60, 100)])

    def __init__(self, *args, synthetic: Optional[dict] = None, **kwargs):
        self.synthetic = dict(DEFAULT_PARAMS, **(synthetic or {}))
        super().__init__(*args, **kwargs)

    def load_data_list(self) -> List[dict]:
        ensure_synthetic_cells(self.data_root, **self.synthetic)
        return super().load_data_list()
