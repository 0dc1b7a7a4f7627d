"""A COCO-format detection data set that refuses bad input instead of
silently dropping it."""
import copy
import logging
import os.path as osp
from typing import Dict, List, Optional, Sequence, Union

import numpy as np
from mmdet.datasets import CocoDataset
from mmdet.datasets.api_wrappers import COCO
from mmdet.registry import DATASETS
from mmengine.fileio import get_local_path
from mmengine.logging import print_log

from .coco_format import (find_class_problems, find_coco_problems, image_record_name,
                          load_coco_json, raise_problems)
from .image_check import ImageRecord, check_image_files
from .sparsify import ensure_sparse_annotations


class ImageFileError(FileNotFoundError):
    """Image files of an annotation file that are missing, unreadable or not
    of the size their records give (a ``FileNotFoundError`` for callers that
    catch missing files)."""


def coco_from_dict(data: dict) -> COCO:
    """mmdet's ``COCO`` index built from an already loaded file."""
    coco = COCO()
    coco.dataset = data
    coco.createIndex()
    coco.img_ann_map = coco.imgToAnns
    coco.cat_img_map = coco.catToImgs
    return coco


@DATASETS.register_module()
class CheckedCocoDataset(CocoDataset):
    """mmdet's ``CocoDataset`` with its input checked record by record.

    Errors name the annotation file and each bad record (its index in the
    file's list, its id and the image's file name) and say what is wrong; all
    problems of one kind are listed in one error:

    - ``CocoFormatError``: a file that is not valid JSON (line and column) or
      not a COCO object; missing ``images`` / ``annotations`` /
      ``categories``; duplicate image, annotation or category ids (both
      records named) or category names; an annotation whose ``image_id`` or
      ``category_id`` names no image or category of the file, or is not an
      integer; a ``bbox`` that is not four numbers, has a negative side, or
      reaches outside its image by more than ``bbox_tolerance`` pixels; a
      missing ``area`` (see :func:`~plb_mm.datasets.coco_format.find_coco_problems`);
      a class in ``metainfo['classes']`` that the file does not define, or
      classes listed in another order than the file's categories (mmdet
      numbers labels in the file's order, so names would be swapped); an
      image's ``labeled_regions`` that is not a list of ``[x1, y1, x2,
      y2]`` with a positive area inside the image (up to ``bbox_tolerance``),
      an annotation's ``attributes`` that is not ``num_attributes`` integers in
      {0, 1, -1} (see :func:`~plb_mm.datasets.coco_format.find_region_problems`);
    - ``ImageFileError`` (a ``FileNotFoundError``): image files that do not
      exist and, with ``check_images``, files that cannot be read or whose
      size is not the record's ``width`` x ``height``. Local files only.

    Dropped as mmdet drops them, and counted in a warning that names the file
    and the first annotation ids: boxes with zero area or a side under 1 px,
    boxes wholly outside the image (within the tolerance), and annotations of
    categories left out of ``metainfo['classes']``. Images removed by
    ``filter_cfg`` are counted too.

    SLA-Det's sparse labels (docs/sladet.md, "Data contract"): each
    ``data_info`` has ``labeled_regions``, the image record's
    ``labeled_regions`` as ``np.float32`` (k, 4) ``x1, y1, x2, y2`` clipped to
    the image, or None when the record has none (the whole image is
    labelled); each instance has ``attributes``, the annotation's list, or
    ``num_attributes`` times -1 (unknown) when it has none.

    Args:
        bbox_tolerance (float): how far (pixels) a box may reach past the image
            border before it is an error; real annotation tools round boxes
            outwards by a fraction of a pixel. Defaults to 1.0.
        check_images (bool | str, optional): open every image file at
            start-up (:func:`~plb_mm.datasets.image_check.check_image_files`):
            ``True`` or ``'header'`` reads headers and file ends (truncated or
            unreadable files, size mismatches; ~0.1 ms a file), ``'decode'``
            also decodes each file as the loader does, ``False`` only checks
            that the files exist. Files found good are cached by size and
            modification time (under ``$PLB_MM_CACHE_DIR``, else
            ``~/.cache/plb_mm``), so a second start only stats them. ``None``
            (the default) checks headers for training data
            (``test_mode=False``) and not for test data.
        sparsify (dict, optional): train on sparse annotations (the BDE
            paper's setting): ``dict(ratio=r, seed=0)`` keeps a fraction r of
            each image's boxes, ``dict(one_per_image=True, seed=0)`` one box
            per image (:func:`~.sparsify.sparsify_coco`). The sparse file is
            written beside ``ann_file`` once
            (:func:`~.sparsify.ensure_sparse_annotations`) and loaded
            instead. Evaluation data keeps its full annotations: set it on
            training sets only.
        num_attributes (int): how many attributes an annotation's
            ``attributes`` has (SLA-Det: 6). Defaults to 6.
        image_fields (Sequence[str]): fields of the image records to copy
            into each data info (the pipeline's ``results``), e.g.
            ``('dicom_window', )`` for ``LoadDeepLesionSlice(window='dicom')``;
            a record without one gets None. Defaults to none.
    """

    def __init__(self, *args, bbox_tolerance: float = 1.0,
                 check_images: Optional[Union[bool, str]] = None,
                 sparsify: Optional[dict] = None, num_attributes: int = 6,
                 image_fields: Sequence[str] = (), **kwargs):
        if check_images not in (None, True, False, 'header', 'decode'):
            raise ValueError(f"check_images={check_images!r}: expected None, True, False, "
                             f"'header' or 'decode'")
        self.bbox_tolerance = bbox_tolerance
        self.check_images = check_images
        self.num_attributes = num_attributes
        self.image_fields = tuple(image_fields)
        self.sparsify = dict(sparsify) if sparsify else None
        if self.sparsify:
            unknown = set(self.sparsify) - {'ratio', 'seed', 'one_per_image'}
            if unknown:
                raise ValueError(f'{type(self).__name__}: unknown sparsify option(s) '
                                 f'{sorted(unknown)}; options: ratio, seed, one_per_image')
            if kwargs.get('test_mode'):
                raise ValueError(f'{type(self).__name__}: sparsify is for training sets; '
                                 f'this one has test_mode=True')
        super().__init__(*args, **kwargs)

    @property
    def image_check_level(self) -> Optional[str]:
        """``'header'``, ``'decode'`` or None (existence only)."""
        check = (not self.test_mode) if self.check_images is None else self.check_images
        if check is True:
            return 'header'
        return check or None

    def load_data_list(self) -> List[dict]:
        if self.sparsify:
            self.ann_file = ensure_sparse_annotations(self.ann_file, **self.sparsify)
        with get_local_path(self.ann_file, backend_args=self.backend_args) as local_path:
            raw = load_coco_json(local_path, name=self.ann_file)
        raise_problems(self.ann_file, find_coco_problems(
            raw, bbox_tolerance=self.bbox_tolerance, require_annotations=not self.test_mode,
            num_attributes=self.num_attributes))
        self.coco = coco_from_dict(raw)
        self._check_classes()
        # As mmdet's CocoDataset.load_data_list, from the checked file.
        self.cat_ids = self.coco.get_cat_ids(cat_names=self.metainfo['classes'])
        self.cat2label = {cat_id: i for i, cat_id in enumerate(self.cat_ids)}
        self.cat_img_map = copy.deepcopy(self.coco.cat_img_map)
        self.dropped: Dict[str, List] = {}  # reason -> annotation ids
        data_list = []
        for img_id in self.coco.get_img_ids():
            raw_img_info = self.coco.load_imgs([img_id])[0]
            raw_img_info['img_id'] = img_id
            raw_ann_info = self.coco.load_anns(self.coco.get_ann_ids(img_ids=[img_id]))
            data_list.append(self.parse_data_info(
                dict(raw_ann_info=raw_ann_info, raw_img_info=raw_img_info)))
        del self.coco
        self._report_dropped()
        self._check_image_files(raw['images'], data_list)
        return data_list

    def parse_data_info(self, raw_data_info: dict) -> Union[dict, List[dict]]:
        img = raw_data_info['raw_img_info']
        kept = [ann for ann in raw_data_info['raw_ann_info'] if self._kept(ann, img)]
        data_info = super().parse_data_info(raw_data_info)
        instances = data_info['instances']
        if len(instances) != len(kept):  # mmdet changed its rules: attributes would shift
            raise RuntimeError(f'{self.ann_file}: image id {img["img_id"]}: mmdet kept '
                               f'{len(instances)} annotations, CheckedCocoDataset._kept '
                               f'{len(kept)}; update _kept to the installed mmdet')
        unknown = [-1] * self.num_attributes
        for instance, ann in zip(instances, kept):
            instance['attributes'] = list(ann.get('attributes', unknown))
        data_info['labeled_regions'] = self._labeled_regions(img)
        for field in self.image_fields:
            data_info[field] = img.get(field)
        return data_info

    def _kept(self, ann: dict, img: dict) -> bool:
        """Whether mmdet's ``CocoDataset.parse_data_info`` keeps ``ann`` (its
        tests, so that instances and annotations pair up); counts the drops."""
        if ann.get('ignore', False):
            return False
        x, y, w, h = ann['bbox']
        if w < 1 or h < 1 or ann['area'] <= 0:
            self._drop('zero area or a side under 1 px', ann)
        elif min(x + w, img['width']) <= max(x, 0) or min(y + h, img['height']) <= max(y, 0):
            self._drop('outside the image, within bbox_tolerance', ann)
        elif ann['category_id'] not in self.cat_ids:
            self._drop('category not in metainfo classes', ann)
        else:
            return True
        return False

    @staticmethod
    def _labeled_regions(img: dict) -> Optional[np.ndarray]:
        """The record's regions, (k, 4) float32 clipped to the image; None
        when it has none (the whole image is labelled)."""
        if 'labeled_regions' not in img:
            return None
        regions = np.array(img['labeled_regions'], dtype=np.float32).reshape(-1, 4)
        regions[:, 0::2] = regions[:, 0::2].clip(0, img['width'])
        regions[:, 1::2] = regions[:, 1::2].clip(0, img['height'])
        return regions

    def _check_classes(self) -> None:
        raise_problems(self.ann_file, find_class_problems(
            self.coco.dataset['categories'], self.metainfo['classes']))

    def _check_image_files(self, images: List[dict], data_list: List[dict]) -> None:
        level = self.image_check_level
        if self.backend_args is not None:
            if level:
                print_log(f'{self.ann_file}: image check skipped: the images are read '
                          f'through backend_args {self.backend_args}', logger='current',
                          level=logging.WARNING)
            return
        paths = {info['img_id']: info['img_path'] for info in data_list}
        records = [ImageRecord(paths[img['id']], img['width'], img['height'],
                               image_record_name(i, img)) for i, img in enumerate(images)]
        if level is None:  # existence only, as before
            problems = [f'{r.where}: image file not found at {r.path}'
                        for r in records if not osp.isfile(r.path)]
        else:
            result = check_image_files(records, level, cache_key=self.ann_file)
            problems = result.problems
            if result.checked:
                print_log(f'{self.ann_file}: image check ({level}): {len(records)} images, '
                          f'{result.checked} opened, {result.cached} known good from the '
                          f'cache, {result.seconds:.1f} s', logger='current')
        raise_problems(self.ann_file, problems, what='bad image file', error=ImageFileError)

    def _drop(self, why: str, ann: dict) -> None:
        self.dropped.setdefault(why, []).append(ann.get('id'))

    def _report_dropped(self) -> None:
        for why, ids in self.dropped.items():
            print_log(
                f'{self.ann_file}: dropped {len(ids)} annotation(s) ({why}), as '
                f'mmdet does; first ids: {ids[:5]}', logger='current', level=logging.WARNING)

    def filter_data(self) -> List[dict]:
        kept = super().filter_data()
        n = len(self.data_list) - len(kept)
        if n:
            print_log(
                f'{self.ann_file}: filter_cfg {dict(self.filter_cfg)} removed '
                f'{n} of {len(self.data_list)} images (no usable annotation '
                f'or smaller than min_size)', logger='current', level=logging.WARNING)
        return kept
