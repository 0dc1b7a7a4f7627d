"""The checks of :class:`~plb_mm.datasets.CheckedCocoDataset`, run alone on an
annotation file or on the data sets of a config, collecting every problem
into a report instead of stopping at the first kind
(``tools/misc/check_dataset.py``)."""
import os.path as osp
from collections import Counter
from typing import List, NamedTuple, Optional, Sequence

from .coco_format import (CocoFormatError, _hashable, find_class_problems,
                          find_coco_problems, image_record_name, load_coco_json)
from .image_check import ImageRecord, check_image_files

__all__ = ['DatasetReport', 'check_coco_dataset', 'check_config_datasets']


class DatasetReport(NamedTuple):
    name: str              # what was checked (split and annotation file)
    summary: List[str]     # counts, one line each
    problems: List[str]    # every problem, one line each, naming the file
    skipped: Optional[str] = None  # why it was not checked

    @property
    def ok(self) -> bool:
        return not self.problems

    def format(self) -> str:
        lines = [f'== {self.name}', *self.summary]
        if self.skipped:
            lines.append(f'not checked: {self.skipped}')
        elif self.problems:
            lines.append(f'{len(self.problems)} problem(s):')
            lines += [f'  {p}' for p in self.problems]
        else:
            lines.append('OK')
        return '\n'.join(lines)


def check_coco_dataset(ann_file: str, img_dir: str, classes: Optional[Sequence[str]] = None,
                       level: Optional[str] = 'header', bbox_tolerance: float = 1.0,
                       require_annotations: bool = True, use_cache: bool = True,
                       name: Optional[str] = None) -> DatasetReport:
    """Check a COCO annotation file and its images; never raises for bad data.

    Args:
        ann_file (str): the annotation file.
        img_dir (str): the folder that the images' ``file_name`` are relative
            to (a config's ``data_root`` joined with ``data_prefix['img']``).
        classes (Sequence[str], optional): the config's classes, each of which
            the file must define.
        level (str, optional): image check, ``'header'`` or ``'decode'``;
            None only checks that the files exist.
        bbox_tolerance (float): as in :class:`CheckedCocoDataset`.
        require_annotations (bool): whether a file without ``annotations`` is
            a problem (False for test data).
        use_cache (bool): read and update the image-check cache.
        name (str, optional): a title for the report. Defaults to ``ann_file``.
    """
    name = name or ann_file
    try:
        data = load_coco_json(ann_file)
    except (CocoFormatError, FileNotFoundError) as e:
        return DatasetReport(name, [], [str(e)])
    problems = [f'{ann_file}: {p}' for p in find_coco_problems(
        data, bbox_tolerance=bbox_tolerance, require_annotations=require_annotations)]
    images = data.get('images') if isinstance(data.get('images'), list) else []
    anns = data.get('annotations') if isinstance(data.get('annotations'), list) else []
    cats = data.get('categories') if isinstance(data.get('categories'), list) else []
    cat_names = {_hashable(c.get('id')): c.get('name') for c in cats if isinstance(c, dict)}
    cats_ok = all(isinstance(c, dict) and isinstance(c.get('name'), str) for c in cats)
    if classes is not None and cats_ok:
        problems += [f'{ann_file}: {p}' for p in find_class_problems(cats, classes)]
    per_cat = Counter(_hashable(a.get('category_id')) for a in anns if isinstance(a, dict))
    with_anns = {_hashable(a.get('image_id')) for a in anns if isinstance(a, dict)}
    small = sum(1 for a in anns if isinstance(a, dict) and isinstance(a.get('bbox'), list)
                and len(a['bbox']) == 4 and all(isinstance(v, (int, float)) for v in a['bbox'])
                and 0 <= min(a['bbox'][2:]) < 1)
    no_anns = sum(1 for i in images
                  if isinstance(i, dict) and _hashable(i.get('id')) not in with_anns)
    summary = [
        f'{len(images)} images ({no_anns} without annotations), {len(anns)} annotations',
        'per category: ' + ', '.join(f'{cat_names[c]} (id {c}) {per_cat.get(c, 0)}'
                                     for c in cat_names)]
    if small:
        summary.append(f'{small} box(es) with a side under 1 px: training drops them')
    def number(v):
        return v if isinstance(v, (int, float)) else None

    records = [ImageRecord(osp.join(img_dir, img['file_name']), number(img.get('width')),
                           number(img.get('height')), image_record_name(i, img))
               for i, img in enumerate(images)
               if isinstance(img, dict) and isinstance(img.get('file_name'), str)]
    if level is None:
        problems += [f'{ann_file}: {r.where}: image file not found at {r.path}'
                     for r in records if not osp.isfile(r.path)]
    else:
        result = check_image_files(records, level, cache_key=ann_file if use_cache else None)
        problems += [f'{ann_file}: {p}' for p in result.problems]
        summary.append(f'image files ({level} check, in {img_dir}): {len(records)}, '
                       f'{result.checked} opened, {result.cached} known good from the cache, '
                       f'{result.seconds:.1f} s')
    return DatasetReport(name, summary, problems)


def _dataset_cfgs(cfg, path: str):
    """(where, dataset cfg) for each dict with an ``ann_file`` under ``cfg``,
    looking through wrappers (``dataset=``, ``datasets=[...]``)."""
    if isinstance(cfg, dict):
        if 'ann_file' in cfg:
            yield path, cfg
        if 'dataset' in cfg:
            yield from _dataset_cfgs(cfg['dataset'], path + '.dataset')
        for i, sub in enumerate(cfg.get('datasets') or []):
            yield from _dataset_cfgs(sub, f'{path}.datasets[{i}]')


def check_config_datasets(config: str, splits: Sequence[str] = ('train', 'val', 'test'),
                          level: str = 'header', use_cache: bool = True) -> List[DatasetReport]:
    """One report per COCO-format data set in the config's
    ``{split}_dataloader``s (a data set shared by two splits once).

    Data sets that are not COCO-format (e.g. mmdet's ``VOCDataset``) and
    synthetic data sets not generated yet get a report that says so."""
    from mmdet.datasets import CocoDataset
    from mmdet.registry import DATASETS
    from mmdet.utils import register_all_modules
    from mmengine.config import Config

    from .synthetic_cells import SyntheticCellsDataset
    register_all_modules(init_default_scope=False)
    cfg = Config.fromfile(config)
    reports, seen = [], set()
    for split in splits:
        loader = cfg.get(f'{split}_dataloader')
        if not loader:
            continue
        for where, ds in _dataset_cfgs(loader.get('dataset'), f'{split}_dataloader.dataset'):
            typ = ds.get('type', '')
            cls = typ if isinstance(typ, type) else DATASETS.get(typ)
            data_root = ds.get('data_root') or ''
            ann_file = ds['ann_file']
            if data_root and not osp.isabs(ann_file):
                ann_file = osp.join(data_root, ann_file)
            img_dir = (ds.get('data_prefix') or {}).get('img', '')
            if data_root and not osp.isabs(img_dir):
                img_dir = osp.join(data_root, img_dir)
            title = f'{where} ({ds.get("type")}): {ann_file}'
            if (ann_file, img_dir) in seen:
                continue
            seen.add((ann_file, img_dir))
            if cls is None or not issubclass(cls, CocoDataset):
                reports.append(DatasetReport(title, [], [], 'not a COCO-format data set'))
                continue
            classes = (ds.get('metainfo') or {}).get('classes') or cls.METAINFO['classes']
            if not osp.exists(ann_file) and issubclass(cls, SyntheticCellsDataset):
                reports.append(DatasetReport(title, [], [], (
                    'not generated yet; SyntheticCellsDataset generates it on first use '
                    '(or run tools/misc/gen_synthetic_cells.py)')))
                continue
            reports.append(check_coco_dataset(
                ann_file, img_dir, classes=classes, level=level,
                bbox_tolerance=ds.get('bbox_tolerance', 1.0),
                require_annotations=not ds.get('test_mode', False), use_cache=use_cache,
                name=title))
    return reports
