"""A COCO-format detection data set that refuses bad input instead of
silently dropping it."""
import logging
import os.path as osp
from typing import Dict, List, Union

from mmdet.datasets import CocoDataset
from mmdet.registry import DATASETS
from mmengine.logging import print_log


class CocoFormatError(ValueError):
    """An annotation file that cannot be trained on as it is."""


@DATASETS.register_module()
class CheckedCocoDataset(CocoDataset):
    """mmdet's ``CocoDataset`` with its input checked record by record.

    Errors (``CocoFormatError`` or ``FileNotFoundError``), each naming the
    annotation file and the record:

    - an image file that does not exist (local files only);
    - a box reaching outside its image by more than ``bbox_tolerance`` pixels;
    - an annotation whose ``category_id`` is not among the file's categories;
    - a class in ``metainfo['classes']`` that the file does not define.

    Dropped as mmdet drops them, and counted in a warning that names the file
    and the first annotation ids: boxes with zero area or a side under 1 px,
    and annotations of categories left out of ``metainfo['classes']``. Images
    removed by ``filter_cfg`` are counted too.

    Args:
        bbox_tolerance (float): how far (pixels) a box may reach past the image
            border before it is an error; real annotation tools round boxes
            outwards by a fraction of a pixel. Defaults to 1.0.
    """

    def __init__(self, *args, bbox_tolerance: float = 1.0, **kwargs):
        self.bbox_tolerance = bbox_tolerance
        super().__init__(*args, **kwargs)

    def load_data_list(self) -> List[dict]:
        self.dropped: Dict[str, List] = {}  # reason -> annotation ids
        self._known_cats = None  # set from the file on its first record
        data_list = super().load_data_list()
        self._report_dropped()
        return data_list

    def _where(self, img_info: dict, ann: dict = None) -> str:
        where = f"{self.ann_file}: image id {img_info['img_id']} ('{img_info['file_name']}')"
        if ann is not None:
            where += f", annotation id {ann.get('id')}"
        return where

    def parse_data_info(self, raw_data_info: dict) -> Union[dict, List[dict]]:
        img_info = raw_data_info['raw_img_info']
        if self._known_cats is None:
            self._check_classes()
        img_path = osp.join(self.data_prefix['img'], img_info['file_name'])
        if self.backend_args is None and not osp.isfile(img_path):
            raise FileNotFoundError(
                f'{self._where(img_info)}: image file not found at {img_path}')
        W, H, tol = img_info['width'], img_info['height'], self.bbox_tolerance
        for ann in raw_data_info['raw_ann_info']:
            if ann.get('ignore', False):
                continue
            cat = ann.get('category_id')
            if cat not in self._known_cats:
                raise CocoFormatError(
                    f'{self._where(img_info, ann)}: category_id {cat} is not '
                    f'among the categories of the file {sorted(self._known_cats)}')
            x1, y1, w, h = ann['bbox']
            if w < 1 or h < 1 or ann.get('area', w * h) <= 0:
                self._drop('zero area or a side under 1 px', ann)
                continue
            if x1 < -tol or y1 < -tol or x1 + w > W + tol or y1 + h > H + tol:
                raise CocoFormatError(
                    f'{self._where(img_info, ann)}: bbox [x, y, w, h] = '
                    f'{ann["bbox"]} reaches outside the {W}x{H} image '
                    f'(tolerance {tol} px)')
            if cat not in self.cat_ids:
                self._drop('category not in metainfo classes', ann)
        return super().parse_data_info(raw_data_info)

    def _check_classes(self) -> None:
        self._known_cats = set(self.coco.cats)
        names = {c['name'] for c in self.coco.cats.values()}
        missing = [c for c in self.metainfo['classes'] if c not in names]
        if missing:
            raise CocoFormatError(
                f'{self.ann_file}: classes {missing} of the config are not '
                f'defined in the file (its categories: {sorted(names)})')

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
