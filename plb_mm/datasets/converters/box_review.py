"""Degenerate and near-duplicate boxes of one image, as a converter finds them.

Real annotation files contain boxes that parse but are not objects: a click
that made a 1 x 1 px box (BCCD ``BloodImage_00343.xml`` has an RBC with
``xmin == xmax`` and ``ymin == ymax``), or the same cell labelled twice, the
second box a couple of pixels off the first (BCCD has seven with IoU > 0.9).
A converter keeps them by default and reports each one; it drops them only
when asked (``drop_degenerate`` / ``drop_duplicates``), and records what it
dropped.

- *Degenerate*: a side (width or height, in continuous pixel coordinates)
  under ``min_size`` px.
- *Near-duplicate*: a box of the same class as an earlier box of the image
  with IoU above ``dup_iou``. The boxes are taken in file order, as NMS takes
  boxes by score: a box is a duplicate of the first earlier box that is not
  itself a duplicate (a three-times-labelled cell gives two duplicates of its
  first box). Which boxes are duplicates does not depend on whether they are
  dropped.
"""
from typing import List, NamedTuple, Sequence

__all__ = ['BoxReview', 'DuplicateBox', 'box_iou', 'review_boxes']


def box_iou(a: Sequence[float], b: Sequence[float]) -> float:
    """IoU of two ``x1, y1, x2, y2`` boxes (continuous coordinates, no +1).

    Two 10 x 10 boxes offset by 2 px in x and y: intersection 8 x 8 = 64,
    union 200 - 64 = 136, IoU 0.4706. Zero when the union is empty.
    """
    iw = min(a[2], b[2]) - max(a[0], b[0])
    ih = min(a[3], b[3]) - max(a[1], b[1])
    inter = max(iw, 0.) * max(ih, 0.)
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.


class DuplicateBox(NamedTuple):
    """Box ``index`` repeats box ``of`` (same class, IoU ``iou``)."""
    index: int
    of: int
    iou: float


class BoxReview(NamedTuple):
    """What :func:`review_boxes` found in one image.

    ``keep`` has one flag per box: False for the boxes to drop (degenerate
    ones with ``drop_degenerate``, duplicates with ``drop_duplicates``).
    """
    keep: List[bool]
    degenerate: List[int]
    duplicates: List[DuplicateBox]


def review_boxes(boxes: Sequence[Sequence[float]], labels: Sequence, min_size: float = 2.,
                 dup_iou: float = 0.8, drop_degenerate: bool = False,
                 drop_duplicates: bool = False) -> BoxReview:
    """Find the degenerate and the near-duplicate boxes of one image.

    Args:
        boxes: ``x1, y1, x2, y2`` per box, in file order.
        labels: the class of each box (any comparable value).
        min_size (float): a box with a side under this many px is degenerate;
            0 turns the check off.
        dup_iou (float): a box with IoU above this with an earlier box of its
            class is a duplicate; a value >= 1 turns the check off.
        drop_degenerate (bool): drop degenerate boxes. Dropped boxes take no
            part in the duplicate check.
        drop_duplicates (bool): drop duplicates (the earlier box stays).

    Returns:
        BoxReview: indices into ``boxes`` of what was found, and keep flags.
    """
    keep = [True] * len(boxes)
    degenerate = [k for k, b in enumerate(boxes)
                  if b[2] - b[0] < min_size or b[3] - b[1] < min_size]
    if drop_degenerate:
        for k in degenerate:
            keep[k] = False
    duplicates: List[DuplicateBox] = []
    firsts: List[int] = []  # boxes that are not duplicates, in order
    if dup_iou < 1:
        for k, box in enumerate(boxes):
            if not keep[k]:
                continue
            for j in firsts:
                if labels[j] == labels[k]:
                    iou = box_iou(boxes[j], box)
                    if iou > dup_iou:
                        duplicates.append(DuplicateBox(k, j, iou))
                        keep[k] = not drop_duplicates
                        break
            else:
                firsts.append(k)
    return BoxReview(keep, degenerate, duplicates)
