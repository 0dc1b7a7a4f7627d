"""Hand-made pipeline results for the SLA-Det transform tests."""
import numpy as np

from plb_mm.datasets.transforms import LoadSLADetAnnotations


def code(label: int) -> list:
    """Six 0/1 attributes that spell ``label + 1`` in binary: a box's
    attribute row names its label, so alignment can be read off."""
    return [(label + 1) >> b & 1 for b in range(6)]


def sample(w=100, h=80, boxes=(), labels=None, regions=None, ignore=None):
    """What LoadImageFromFile + LoadSLADetAnnotations give for a ``w`` x ``h``
    image with ``boxes`` (x1 y1 x2 y2; labels 0, 1, ... unless given, each with
    the attribute row ``code(label)``) and ``regions`` (None: the record has
    none, the whole image)."""
    labels = list(range(len(boxes))) if labels is None else labels
    instances = [dict(bbox=list(b), bbox_label=lab, attributes=code(lab),
                      ignore_flag=int(bool(ignore and ignore[i])))
                 for i, (b, lab) in enumerate(zip(boxes, labels))]
    results = dict(img=np.zeros((h, w, 3), np.uint8), img_shape=(h, w), ori_shape=(h, w),
                   img_path=f'{w}x{h}.png', instances=instances,
                   labeled_regions=None if regions is None else np.array(regions, np.float32))
    return LoadSLADetAnnotations()(results)


def boxes_of(results) -> list:
    return np.asarray(results['gt_bboxes'].numpy()).round(2).tolist()


def regions_of(results) -> list:
    return np.asarray(results['gt_labeled_regions']).round(2).tolist()


def assert_aligned(results):
    """Every attribute row is still that of its box (``code(label)``), and
    every per-box key has one row per box."""
    n = len(results['gt_bboxes'])
    assert len(results['gt_bboxes_labels']) == len(results['gt_ignore_flags']) == n
    assert results['gt_attributes'].shape == (n, 6)
    assert results['gt_attributes'].tolist() == [code(int(lab))
                                                 for lab in results['gt_bboxes_labels']]
