"""Carry SLA-Det's labelled regions and per-box attributes through mmdet's
own geometric transforms.

mmdet's box transforms (crop, affine, mosaic, filters) drop boxes and keep
``gt_bboxes_labels`` and ``gt_ignore_flags`` in step, but silently leave any
other per-box key (``gt_attributes``) behind, and they know nothing of
``gt_labeled_regions``. :class:`MoveRegionsAsBoxes` makes any of them
region- and attribute-aware without repeating its geometry:

1. *tag*: each labelled region is appended to ``gt_bboxes`` as one more box,
   and ``gt_bboxes_labels`` is replaced by row tags ``0 .. N-1`` (numbered on
   across ``mix_results`` for Mosaic), the real labels, ignore flags and
   attribute rows kept aside by tag;
2. the mmdet transform runs unchanged: regions are scaled, flipped, cropped,
   projected and clipped exactly like boxes, and every box it drops or
   reorders takes its tag along;
3. *untag*: the tags that come out say which rows are boxes (whose labels,
   ignore flags and attributes are looked up by tag) and which are regions
   (moved to ``gt_labeled_regions``, clipped to the image, those with no area
   left dropped).
"""
from typing import List, NamedTuple, Optional

import numpy as np
from mmdet.structures.bbox import BaseBoxes

__all__ = ['MoveRegionsAsBoxes', 'clip_regions']


def clip_regions(regions: np.ndarray, img_shape) -> np.ndarray:
    """Regions ``(k, 4)`` clipped to an image of ``img_shape`` (h, w); those
    with no area left are dropped. Returns float32 ``(k', 4)``."""
    h, w = img_shape[:2]
    regions = np.array(regions, dtype=np.float32).reshape(-1, 4)
    regions[:, 0::2] = regions[:, 0::2].clip(0, w)
    regions[:, 1::2] = regions[:, 1::2].clip(0, h)
    return regions[(regions[:, 2] > regions[:, 0]) & (regions[:, 3] > regions[:, 1])]


class _Rows(NamedTuple):
    """What each tag stands for (index = tag)."""
    is_region: np.ndarray             # (N,) bool
    labels: np.ndarray                # (N,) int64, -1 for regions
    ignore_flags: np.ndarray          # (N,) bool
    attributes: Optional[np.ndarray]  # (N, A) int64, or None without attributes
    with_regions: bool                # regions were tagged: write gt_labeled_regions
    had_labels: bool                  # results had gt_bboxes_labels
    had_flags: bool                   # results had gt_ignore_flags


def _tag_rows(images: List[dict], with_regions: bool) -> _Rows:
    """Tag the rows of ``images`` (results first, then its mix_results) in place."""
    width = next((np.shape(r['gt_attributes'])[-1] for r in images if 'gt_attributes' in r), None)
    with_regions = with_regions and any('gt_labeled_regions' in r for r in images)
    had_labels, had_flags = 'gt_bboxes_labels' in images[0], 'gt_ignore_flags' in images[0]
    is_region, labels, flags, attributes = [], [], [], []
    start = 0
    for res in images:
        if 'gt_bboxes' not in res:
            raise KeyError('gt_labeled_regions / gt_attributes need gt_bboxes: load boxes '
                           '(LoadSLADetAnnotations with_bbox=True)')
        boxes = res['gt_bboxes']
        n = len(boxes)
        regions = np.zeros((0, 4), np.float32)
        if with_regions:
            if 'gt_masks' in res:
                raise NotImplementedError('region-aware transforms support boxes, not masks')
            regions = np.asarray(res.get('gt_labeled_regions', regions),
                                 np.float32).reshape(-1, 4)
        k = len(regions)
        is_region += [np.zeros(n, bool), np.ones(k, bool)]
        labels += [np.asarray(res.get('gt_bboxes_labels', np.full(n, -1)), np.int64),
                   np.full(k, -1, np.int64)]
        flags += [np.asarray(res.get('gt_ignore_flags', np.zeros(n, bool)), bool),
                  np.zeros(k, bool)]
        if width is not None:
            rows = np.asarray(res.get('gt_attributes', np.full((n, width), -1)), np.int64)
            if len(rows) != n:
                raise ValueError(f"{res.get('img_path')}: gt_attributes has {len(rows)} rows "
                                 f'for {n} boxes: an earlier transform dropped or added boxes '
                                 f'without their attributes (use its Region* version)')
            attributes += [rows.reshape(n, width), np.full((k, width), -1, np.int64)]
        if k:
            res['gt_bboxes'] = (boxes.cat([boxes, type(boxes)(regions)])
                                if isinstance(boxes, BaseBoxes)
                                else np.concatenate([boxes, regions]).astype(np.float32))
        res['gt_bboxes_labels'] = np.arange(start, start + n + k, dtype=np.int64)
        res['gt_ignore_flags'] = np.zeros(n + k, bool)
        start += n + k
    return _Rows(np.concatenate(is_region), np.concatenate(labels), np.concatenate(flags),
                 np.concatenate(attributes) if width is not None else None, with_regions,
                 had_labels, had_flags)


def _untag_rows(results: dict, rows: _Rows) -> dict:
    tags = np.asarray(results['gt_bboxes_labels'], np.int64)
    is_box = ~rows.is_region[tags]
    boxes = results['gt_bboxes']
    if rows.with_regions:
        regions = boxes[~is_box]
        regions = regions.numpy() if isinstance(regions, BaseBoxes) else regions
        results['gt_labeled_regions'] = clip_regions(regions, results['img'].shape)
        results['gt_bboxes'] = boxes[is_box]
    tags = tags[is_box]
    for key, had, table in (('gt_bboxes_labels', rows.had_labels, rows.labels),
                            ('gt_ignore_flags', rows.had_flags, rows.ignore_flags),
                            ('gt_attributes', rows.attributes is not None, rows.attributes)):
        if had:
            results[key] = table[tags]
        else:
            results.pop(key, None)
    return results


class MoveRegionsAsBoxes:
    """Mixin that makes an mmdet box transform move ``gt_labeled_regions``
    with the image and keep ``gt_attributes`` row-aligned with
    ``gt_bboxes`` (module docstring: regions ride along as tagged boxes).

    Put it first: ``class RegionResize(MoveRegionsAsBoxes, Resize)``. With
    neither key in the results the mmdet transform runs untouched. Regions
    come out clipped to the image, those with no area left dropped. The
    transform must keep ``gt_bboxes_labels`` in step with ``gt_bboxes`` (all
    of mmdet's do).

    Attributes:
        regions_as_boxes (bool): whether regions ride along; False for
            transforms that only filter boxes (FilterAnnotations), which leave
            regions where they are.
    """
    regions_as_boxes = True

    def transform(self, results: dict) -> Optional[dict]:
        images = [results, *results.get('mix_results', [])]
        if not any('gt_labeled_regions' in r or 'gt_attributes' in r for r in images):
            return super().transform(results)
        rows = _tag_rows(images, self.regions_as_boxes)
        results = super().transform(results)
        return None if results is None else _untag_rows(results, rows)
