"""The film report of AttriDet / SLA-Det (Rehman et al., Sec. 4.2 and
Fig. 4(b); SPEC 4): a blood film's predictions collected in a *morphology
bank*, and the film-level text "the most frequent WBC type and its
predominant morphology". Used by ``tools/analysis_tools/film_report.py``.

:class:`MorphologyBank` keeps, per image of one film, the detections scoring
``>= score_thr`` (0.3 by default, mmdet's drawing threshold): their labels
and, when the model has an attribute head, their attribute probabilities
(``pred_instances.attributes``, ``(m, A)``). From it:

- counts per cell type, and each type's share of all detections;
- per type and attribute ``j``, over that type's ``n`` detections ``i``:
  ``present = #{i: p_ij >= 0.5} / n`` (the share called "present") and
  ``mean_prob = sum_i p_ij / n``;
- :func:`film_text`: among the WBC types (``wbc_classes``; default all
  classes) the most frequent one, its share of the WBC detections (ties:
  the first in class order, and the text says so), and for each attribute
  its majority value among that type's cells ("nuclear_shape: present in
  78 % of cells", or "absent in ..." when ``present < 0.5``). A film
  without detections, without WBC detections, or from a model without
  attributes (counts-only report) gets a sentence saying so.

The paper's hematologists read the text as a second opinion; the numbers
behind it go to JSON, the tables to Markdown and two bar charts to a PNG
(:func:`write_film_report`). :func:`find_films` groups the images of a
folder or a COCO file into films, :func:`film_reports` runs a detector over
them (mmdet's ``inference_detector`` with the config's test pipeline less
its annotation loaders) and writes one report per film.
"""
import json
import os
import os.path as osp
import re
from collections import OrderedDict
from typing import Callable, Dict, List, Optional, Sequence

import numpy as np

__all__ = ['MorphologyBank', 'film_text', 'film_summary', 'format_film_markdown',
           'plot_film', 'write_film_report', 'find_films', 'config_classes', 'film_config',
           'init_film_detector', 'inference_pipeline', 'film_reports', 'IMAGE_EXTENSIONS']

IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff')
PRESENT_THR = 0.5  # an attribute probability at least this counts as "present"


def _numpy(x, dtype) -> np.ndarray:
    if hasattr(x, 'detach'):
        x = x.detach().cpu().numpy()
    return np.asarray(x, dtype=dtype)


def _pct(x: float) -> str:
    return f'{100 * x:.0f} %'


class MorphologyBank:
    """The detections of one film, image by image.

    Args:
        classes (Sequence[str]): the detector's class names (label ``i`` is
            ``classes[i]``).
        attribute_names (Sequence[str], optional): names of the attribute
            columns; None: ``a0, a1, ...`` after the width of the first
            attributes added.
        score_thr (float): keep detections scoring ``>= score_thr``.
        name (str): the film's name.
    """

    def __init__(self, classes: Sequence[str], attribute_names: Optional[Sequence[str]] = None,
                 score_thr: float = 0.3, name: str = 'film'):
        self.classes = tuple(classes)
        if not self.classes:
            raise ValueError('MorphologyBank needs the class names')
        self.attribute_names = None if attribute_names is None else tuple(attribute_names)
        self.score_thr = float(score_thr)
        self.name = str(name)
        self.images: List[str] = []
        self._labels: List[np.ndarray] = []
        self._scores: List[np.ndarray] = []
        self._attributes: List[np.ndarray] = []
        # whether the detections carry attributes: set by the first image with
        # detections kept, and then the same for every image
        self._with_attributes: Optional[bool] = None

    def add(self, labels, scores, attributes=None, image: Optional[str] = None) -> int:
        """Add one image's detections: ``labels`` (m,) int, ``scores`` (m,),
        ``attributes`` (m, A) probabilities or None (tensors or arrays).
        Returns how many were kept (``score >= score_thr``)."""
        labels = _numpy(labels, np.int64).reshape(-1)
        scores = _numpy(scores, np.float64).reshape(-1)
        image = f'image {len(self.images)}' if image is None else str(image)
        if len(labels) != len(scores):
            raise ValueError(f'{image}: {len(labels)} labels but {len(scores)} scores')
        bad = labels[(labels < 0) | (labels >= len(self.classes))]
        if len(bad):
            raise ValueError(f'{image}: labels {sorted(set(bad.tolist()))} outside the '
                             f'{len(self.classes)} classes {list(self.classes)}')
        if attributes is not None:
            attributes = _numpy(attributes, np.float64)
            if attributes.ndim != 2 or attributes.shape[0] != len(labels):
                raise ValueError(f'{image}: attributes of shape {attributes.shape} for '
                                 f'{len(labels)} detections; expected ({len(labels)}, A)')
            if attributes.shape[1] == 0:
                attributes = None
        if attributes is not None:
            width = attributes.shape[1]
            if self.attribute_names is None:
                self.attribute_names = tuple(f'a{j}' for j in range(width))
            elif len(self.attribute_names) != width:
                raise ValueError(f'{image}: {width} attributes per detection but '
                                 f'{len(self.attribute_names)} attribute names '
                                 f'{list(self.attribute_names)}')
        keep = scores >= self.score_thr
        if keep.any():
            given = attributes is not None
            if self._with_attributes is None:
                self._with_attributes = given
            elif self._with_attributes != given:
                raise ValueError(f'{image}: detections {"with" if given else "without"} '
                                 f'attributes after images {"without" if given else "with"} '
                                 f'them in film {self.name!r}')
        self.images.append(image)
        self._labels.append(labels[keep])
        self._scores.append(scores[keep])
        if attributes is not None:
            self._attributes.append(attributes[keep])
        return int(keep.sum())

    def add_sample(self, data_sample, image: Optional[str] = None) -> int:
        """Add a ``DetDataSample`` (``pred_instances.labels``, ``.scores``
        and, when present, ``.attributes``); ``image`` defaults to its
        ``img_path``."""
        pred = data_sample.pred_instances
        if image is None:
            image = data_sample.metainfo.get('img_path')
        attributes = pred.attributes if 'attributes' in pred else None
        return self.add(pred.labels, pred.scores, attributes, image=image)

    @property
    def num_images(self) -> int:
        return len(self.images)

    @property
    def has_attributes(self) -> bool:
        """Whether the kept detections carry attributes (False: counts only)."""
        return bool(self._with_attributes)

    @property
    def labels(self) -> np.ndarray:
        return np.concatenate(self._labels) if self._labels else np.zeros(0, np.int64)

    @property
    def scores(self) -> np.ndarray:
        return np.concatenate(self._scores) if self._scores else np.zeros(0)

    @property
    def attributes(self) -> Optional[np.ndarray]:
        """(n, A) probabilities of the kept detections, None without attributes."""
        if not self.has_attributes:
            return None
        return np.concatenate(self._attributes)

    def counts(self) -> Dict[str, int]:
        """Kept detections per class, every class in class order."""
        n = np.bincount(self.labels, minlength=len(self.classes))
        return OrderedDict((c, int(k)) for c, k in zip(self.classes, n))

    def image_counts(self) -> List[Dict]:
        """Per image: its name and its kept detections per class (classes
        with none left out)."""
        out = []
        for image, labels in zip(self.images, self._labels):
            n = np.bincount(labels, minlength=len(self.classes))
            out.append(dict(image=image, counts={c: int(k) for c, k in zip(self.classes, n)
                                                 if k}))
        return out

    def attribute_frequencies(self) -> Dict[str, Dict[str, Dict[str, float]]]:
        """Per class with detections, per attribute: ``present`` (share of
        the class's detections with probability >= 0.5) and ``mean_prob``;
        empty without attributes."""
        if not self.has_attributes:
            return OrderedDict()
        labels, attributes = self.labels, self.attributes
        out = OrderedDict()
        for i, c in enumerate(self.classes):
            probs = attributes[labels == i]
            if not len(probs):
                continue
            present = (probs >= PRESENT_THR).mean(0)
            mean = probs.mean(0)
            out[c] = OrderedDict((a, dict(present=float(p), mean_prob=float(m)))
                                 for a, p, m in zip(self.attribute_names, present, mean))
        return out

    def to_dict(self, wbc_classes: Optional[Sequence[str]] = None,
                meta: Optional[dict] = None) -> dict:
        """Every number of the report, and its text (JSON-ready)."""
        counts = self.counts()
        total = sum(counts.values())
        return OrderedDict(
            film=self.name, num_images=self.num_images, score_thr=self.score_thr,
            classes=list(self.classes),
            attribute_names=None if self.attribute_names is None else list(self.attribute_names),
            has_attributes=self.has_attributes, num_detections=total, counts=counts,
            shares={c: (n / total if total else 0.0) for c, n in counts.items()},
            attributes=self.attribute_frequencies(),
            summary=film_summary(self, wbc_classes), text=film_text(self, wbc_classes),
            images=self.image_counts(), meta=dict(meta or {}))


def _wbc_classes(bank: MorphologyBank, wbc_classes: Optional[Sequence[str]]) -> List[str]:
    if wbc_classes is None:
        return list(bank.classes)
    wbc_classes = list(wbc_classes)
    unknown = [c for c in wbc_classes if c not in bank.classes]
    if unknown or not wbc_classes:
        raise ValueError(f'WBC classes {unknown or wbc_classes} are not among the classes '
                         f'{list(bank.classes)}')
    return [c for c in bank.classes if c in wbc_classes]  # class order


def film_summary(bank: MorphologyBank, wbc_classes: Optional[Sequence[str]] = None) -> dict:
    """The numbers :func:`film_text` states: the WBC classes, their number
    of detections, the most frequent WBC type (None without WBC
    detections), its count and share of the WBC detections, the types tied
    with it, and its morphology: per attribute the majority ``value``
    (``'present'`` when ``present >= 0.5``) and the share of the type's
    cells that have it (empty without attributes)."""
    wbc = _wbc_classes(bank, wbc_classes)
    counts = bank.counts()
    num_wbc = sum(counts[c] for c in wbc)
    out = OrderedDict(wbc_classes=wbc, num_wbc=num_wbc, most_frequent=None, count=0,
                      share=0.0, ties=[], morphology=OrderedDict())
    if not num_wbc:
        return out
    best = max(counts[c] for c in wbc)
    tied = [c for c in wbc if counts[c] == best]
    top = tied[0]
    out.update(most_frequent=top, count=best, share=best / num_wbc, ties=tied[1:])
    for a, f in bank.attribute_frequencies().get(top, {}).items():
        present = f['present'] >= 0.5
        out['morphology'][a] = dict(value='present' if present else 'absent',
                                    share=f['present'] if present else 1 - f['present'])
    return out


def film_text(bank: MorphologyBank, wbc_classes: Optional[Sequence[str]] = None) -> str:
    """The film-level description (paper Fig. 4(b)) in plain English.

    ``wbc_classes``: the class names that count as white cells (default:
    all classes, and the text then speaks of "cell types")."""
    s = film_summary(bank, wbc_classes)
    kind = 'cell' if wbc_classes is None else 'white cell'
    images = f'{bank.num_images} image{"" if bank.num_images == 1 else "s"}'
    where = f'film {bank.name} ({images}, detections scoring >= {bank.score_thr:g})'
    counts = bank.counts()
    total = sum(counts.values())
    if not total:
        return f'No cells were detected in {where}.'
    if not s['num_wbc']:
        rest = '1 cell of another type was' if total == 1 else f'{total} cells of other types were'
        return f'No white cells ({", ".join(s["wbc_classes"])}) were detected in {where}; {rest}.'
    top, n, num_wbc = s['most_frequent'], s['count'], s['num_wbc']
    others = '' if kind == 'cell' else f', {num_wbc} of them white cells'
    cells = '1 cell was' if total == 1 else f'{total} cells were'
    text = [f'In {where} {cells} detected{others}.',
            f'The most frequent {kind} type is {top}: {n} of {num_wbc} '
            f'{kind}s ({_pct(s["share"])}).']
    if s['ties']:
        text.append(f'{", ".join(s["ties"])} {"ties" if len(s["ties"]) == 1 else "tie"} with '
                    f'it ({n} each); the report describes {top}, the first in class order.')
    rest = sorted((c for c in s['wbc_classes'] if c != top and counts[c]),
                  key=lambda c: -counts[c])
    if rest:
        text.append('Other ' + kind + ' types: ' + ', '.join(
            f'{c} {counts[c]} ({_pct(counts[c] / num_wbc)})' for c in rest) + '.')
    if not bank.has_attributes:
        text.append('The model gives no attribute predictions, so this is a counts-only '
                    'report: no morphology is described.')
    else:
        text.append(f'Predominant morphology of the {top} cells: ' + '; '.join(
            f'{a}: {m["value"]} in {_pct(m["share"])} of cells'
            for a, m in s['morphology'].items()) + '.')
    return ' '.join(text)


def _md_row(cells) -> str:
    return '| ' + ' | '.join(str(c) for c in cells) + ' |'


def format_film_markdown(bank: MorphologyBank, wbc_classes: Optional[Sequence[str]] = None,
                         meta: Optional[dict] = None) -> str:
    """The report as Markdown: title, the text, the counts table and one
    attribute-frequency table per detected type (per detected white cell
    type when ``wbc_classes`` is given: the attributes describe white cells,
    an attribute head trains on nothing else)."""
    counts = bank.counts()
    described = _wbc_classes(bank, wbc_classes)
    total = sum(counts.values())
    lines = [f'# Film report: {bank.name}', '']
    for k, v in (meta or {}).items():
        lines.append(f'- {k}: `{v}`')
    lines += [f'- images: {bank.num_images}', f'- detections scoring >= {bank.score_thr:g}: '
              f'{total}', '', '## Summary', '', film_text(bank, wbc_classes), '',
              '## Cell counts', '', _md_row(['type', 'count', 'share']), '|---|---:|---:|']
    for c, n in counts.items():
        lines.append(_md_row([c, n, _pct(n / total) if total else '-']))
    lines += [_md_row(['total', total, _pct(1) if total else '-']), '',
              '## Attributes per type', '']
    if not total:
        lines.append('No detections.')
    elif not bank.has_attributes:
        lines.append('The model gives no attribute predictions (counts-only report).')
    for c, freqs in bank.attribute_frequencies().items():
        if c not in described:
            continue
        lines += [f'### {c} ({counts[c]} cells)', '',
                  _md_row(['attribute', f'present (p >= {PRESENT_THR:g})', 'mean probability']),
                  '|---|---:|---:|']
        lines += [_md_row([a, _pct(f['present']), f'{f["mean_prob"]:.2f}'])
                  for a, f in freqs.items()]
        lines.append('')
    return '\n'.join(lines).rstrip() + '\n'


def plot_film(bank: MorphologyBank, path: str,
              wbc_classes: Optional[Sequence[str]] = None) -> None:
    """A PNG of two bar charts: detections per type, and the attribute
    frequencies (share present, mean probability) of the most frequent
    WBC type. Drawn on matplotlib's Agg canvas (no display, no pyplot)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    counts = bank.counts()
    s = film_summary(bank, wbc_classes)
    fig = Figure(figsize=(11, 4.2))
    FigureCanvasAgg(fig)
    ax1, ax2 = fig.subplots(1, 2, gridspec_kw=dict(width_ratios=[1, 1.3]))
    x = np.arange(len(counts))
    ax1.bar(x, list(counts.values()), color='tab:blue')
    ax1.set_xticks(x)
    ax1.set_xticklabels(list(counts), rotation=45, ha='right')
    ax1.set_ylabel('detections')
    ax1.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax1.set_title(f'{bank.name}: cells per type ({bank.num_images} images, '
                  f'score >= {bank.score_thr:g})', fontsize=9)
    top = s['most_frequent']
    freqs = bank.attribute_frequencies().get(top) if top is not None else None
    if freqs:
        x = np.arange(len(freqs))
        ax2.bar(x - 0.2, [100 * f['present'] for f in freqs.values()], 0.4,
                label=f'present (p >= {PRESENT_THR:g})', color='tab:orange')
        ax2.bar(x + 0.2, [100 * f['mean_prob'] for f in freqs.values()], 0.4,
                label='mean probability (%)', color='tab:gray')
        ax2.set_xticks(x)
        ax2.set_xticklabels(list(freqs), rotation=45, ha='right')
        ax2.set_ylim(0, 100)
        ax2.set_ylabel('%')
        ax2.legend(fontsize=8)
        ax2.set_title(f'attributes of {top} ({s["count"]} cells)', fontsize=9)
    else:
        why = ('no attribute predictions (counts only)' if top is not None else
               'no cells detected' if wbc_classes is None else 'no white cells detected')
        ax2.text(0.5, 0.5, why, ha='center', va='center', transform=ax2.transAxes)
        ax2.set_axis_off()
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def film_file_stem(name: str) -> str:
    """A file name for a film: runs of characters other than letters,
    digits, ``.``, ``_``, ``-`` become ``_``."""
    return re.sub(r'[^A-Za-z0-9._-]+', '_', str(name)).strip('._') or 'film'


def write_film_report(bank: MorphologyBank, out_dir: str,
                      wbc_classes: Optional[Sequence[str]] = None,
                      meta: Optional[dict] = None) -> Dict[str, str]:
    """Write ``<film>.md``, ``<film>.json`` and ``<film>.png`` into
    ``out_dir``; returns their paths by kind (``md``, ``json``, ``png``)."""
    os.makedirs(out_dir, exist_ok=True)
    stem = osp.join(out_dir, film_file_stem(bank.name))
    paths = dict(md=stem + '.md', json=stem + '.json', png=stem + '.png')
    data = bank.to_dict(wbc_classes, meta)  # validates wbc_classes before writing
    with open(paths['md'], 'w') as f:
        f.write(format_film_markdown(bank, wbc_classes, meta))
    with open(paths['json'], 'w') as f:
        json.dump(data, f, indent=2)
        f.write('\n')
    plot_film(bank, paths['png'], wbc_classes)
    return paths


def _images_in(folder: str) -> List[str]:
    return sorted(osp.join(folder, f) for f in os.listdir(folder)
                  if f.lower().endswith(IMAGE_EXTENSIONS) and osp.isfile(osp.join(folder, f)))


def _films_from_dir(folder: str) -> Dict[str, List[str]]:
    loose = _images_in(folder)
    subdirs = sorted(d for d in os.listdir(folder) if osp.isdir(osp.join(folder, d)))
    films = OrderedDict((d, _images_in(osp.join(folder, d))) for d in subdirs)
    films = OrderedDict((d, imgs) for d, imgs in films.items() if imgs)
    if loose and films:
        raise ValueError(f'{folder}: holds images and subdirectories with images '
                         f'({", ".join(films)}); a folder is one film, or its subdirectories '
                         f'are one film each, not both')
    if loose:
        return OrderedDict([(osp.basename(osp.normpath(folder)), loose)])
    if not films:
        raise ValueError(f'{folder}: no images ({", ".join(IMAGE_EXTENSIONS)}) in it or in '
                         f'its subdirectories')
    return films


def _films_from_coco(ann_file: str, img_root: Optional[str]) -> Dict[str, List[str]]:
    try:
        with open(ann_file) as f:
            coco = json.load(f)
    except (OSError, ValueError) as e:
        raise ValueError(f'{ann_file}: cannot be read as a COCO json ({e})') from e
    images = coco.get('images') if isinstance(coco, dict) else None
    if not isinstance(images, list):
        raise ValueError(f'{ann_file}: not a COCO file (no "images" list)')
    if not images:
        raise ValueError(f'{ann_file}: no images in its "images" list')
    here = osp.dirname(osp.abspath(ann_file))
    # the json's sibling images/ folder, or that of its folder (COCO's
    # annotations/ + images/); a data root holding annotations/ (mmdet's and
    # the synthetic sets' layout, file names like val/000001.jpg); the json's
    # own folder
    up = osp.dirname(here)
    roots = ([img_root] if img_root else
             [osp.join(here, 'images'), osp.join(up, 'images'), up, here])
    default = osp.splitext(osp.basename(ann_file))[0]
    films: Dict[str, List[str]] = OrderedDict()
    for rec in images:
        name = rec.get('file_name') if isinstance(rec, dict) else None
        if not name:
            raise ValueError(f'{ann_file}: an image record without file_name: {rec!r}')
        found = next((osp.join(r, name) for r in roots if osp.isfile(osp.join(r, name))), None)
        if found is None:
            raise ValueError(f'{ann_file}: image {name!r} not found under {roots}'
                             + ('' if img_root else '; give its folder with --img-root'))
        film = rec.get('film', rec.get('slide'))
        films.setdefault(default if film is None else str(film), []).append(found)
    return films


def find_films(source: str, img_root: Optional[str] = None) -> Dict[str, List[str]]:
    """The films of ``source`` and their image paths, by film name.

    - a folder with images: one film, named after the folder;
    - a folder whose subdirectories hold images: each subdirectory is a film;
    - a COCO json: images grouped by their record's ``film`` (or ``slide``)
      key; records with neither form a film named after the file. Paths are
      resolved under ``img_root``, else under the first of these that holds
      the file: the json's sibling ``images/``, its folder's sibling
      ``images/``, the folder above the json's (``data_root/annotations/x.json``
      with file names relative to ``data_root``), the json's folder.
    """
    if osp.isdir(source):
        return _films_from_dir(source)
    if osp.isfile(source):
        return _films_from_coco(source, img_root)
    raise ValueError(f'{source}: no such folder or annotation file')


def config_classes(cfg, config_name: str = 'the config') -> List[str]:
    """The class names of a detector config: its test set's
    ``metainfo.classes`` (through dataset wrappers), else a top-level
    ``classes``."""
    dataset = (cfg.get('test_dataloader') or {}).get('dataset')
    while isinstance(dataset, dict):
        classes = (dataset.get('metainfo') or {}).get('classes')
        if classes:
            return list(classes)
        dataset = dataset.get('dataset')
    if cfg.get('classes'):
        return list(cfg['classes'])
    raise ValueError(f'{config_name}: no class names (test_dataloader.dataset.metainfo.classes '
                     f'or a top-level `classes`)')


def film_config(config: str, cfg_options: Optional[dict] = None):
    """Load a detector config for the film report: returns the config, its
    class names (:func:`config_classes`, checked against the model's
    ``num_classes``) and its ``attribute_names`` (None when it has none)."""
    from ..apis import load_config
    from .config_edit import find_num_classes

    cfg = load_config(config, cfg_options)
    classes = config_classes(cfg, config)
    num_classes = find_num_classes(cfg.get('model'))
    if num_classes is not None and num_classes != len(classes):
        raise ValueError(f'{config}: the model predicts {num_classes} classes but the data set '
                         f'names {len(classes)}: {classes}')
    names = cfg.get('attribute_names')
    return cfg, classes, None if names is None else list(names)


def init_film_detector(cfg, checkpoint: str, classes: Sequence[str], device: str = 'cpu'):
    """``mmdet.apis.init_detector(cfg, checkpoint)``, for a report that names
    the labels after ``classes`` (the config's): mmdet's warning that a
    checkpoint without class names falls back to COCO's is dropped, and a
    checkpoint saved with other class names is warned about. The palette is
    given so that mmdet does not build the test set to find one (a synthetic
    set would be generated)."""
    import warnings

    from mmdet.apis import init_detector
    with warnings.catch_warnings(record=True) as caught:
        model = init_detector(cfg, checkpoint, palette='random', device=device)
    coco = [w for w in caught if 'use COCO classes by default' in str(w.message)]
    for w in caught:
        if w not in coco:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    saved = list(model.dataset_meta.get('classes', classes))
    if not coco and saved != list(classes):
        warnings.warn(f'{checkpoint}: saved with classes {saved}; the report names the '
                      f'labels after the config: {list(classes)}')
    return model


def inference_pipeline(cfg):
    """The config's test pipeline without its annotation loaders (there are
    no annotations to load), composed."""
    from mmcv.transforms import Compose

    from mmdet.utils import get_test_pipeline_cfg
    steps = [t for t in get_test_pipeline_cfg(cfg)
             if not str(t.get('type', '')).split('.')[-1].endswith('Annotations')]
    return Compose(steps)


def film_reports(model, films: Dict[str, List[str]], classes: Sequence[str], out_dir: str,
                 attribute_names: Optional[Sequence[str]] = None, score_thr: float = 0.3,
                 wbc_classes: Optional[Sequence[str]] = None, meta: Optional[dict] = None,
                 log: Callable[[str], None] = print) -> List[Dict[str, str]]:
    """Run ``model`` (from ``mmdet.apis.init_detector``) over every image of
    every film, one image at a time, and write each film's report into
    ``out_dir``; returns the written paths, film by film."""
    from mmdet.apis import inference_detector

    stems: Dict[str, str] = {}
    for name in films:
        other = stems.setdefault(film_file_stem(name), name)
        if other != name:
            raise ValueError(f'films {other!r} and {name!r} would write the same files '
                             f'{film_file_stem(name)}.*')
    if wbc_classes is not None:
        _wbc_classes(MorphologyBank(classes), wbc_classes)  # fail before inference
    pipeline = inference_pipeline(model.cfg)
    written = []
    for i, (name, images) in enumerate(films.items(), 1):
        log(f'film {i}/{len(films)} {name}: {len(images)} image'
            f'{"" if len(images) == 1 else "s"}')
        bank = MorphologyBank(classes, attribute_names, score_thr, name=name)
        for k, path in enumerate(images, 1):
            bank.add_sample(inference_detector(model, path, test_pipeline=pipeline), image=path)
            if k % 10 == 0 or k == len(images):
                log(f'  {k}/{len(images)} images done')
        paths = write_film_report(bank, out_dir, wbc_classes, meta)
        log(f'  wrote {paths["md"]}, {paths["json"]}, {paths["png"]}')
        written.append(paths)
    return written
