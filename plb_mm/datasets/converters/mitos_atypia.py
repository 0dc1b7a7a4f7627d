"""MITOS-ATYPIA-14 (ICPR 2014 grand challenge) mitosis centroids to COCO.

The challenge's layout, one folder per slide (``A03``, ``H10``, ...; the
release may nest it once more, ``A03/A03/``, and split the scanners into
``Training Aperio`` / ``Training Hamamatsu`` folders: every ``frames/x40``
folder under the root is found)::

    A03/frames/x40/A03_00Aa.tiff        one high-power frame
    A03/mitosis/A03_00Aa_mitosis.csv    its mitoses
    A03/mitosis/A03_00Aa_not_mitosis.csv  cells judged not mitotic

Each CSV row is ``x,y,confidence``: the centroid's pixel column and row in the
frame (x first, unlike TUPAC16's row-column files) and the confidence the
challenge gives the label; no header. The BDE paper (Section 4.3.1) trains
on the mitoses of the Hamamatsu x40 frames, each centroid a 32 x 32 box.

- ``_mitosis.csv`` rows become class ``mitosis``; each annotation keeps its
  ``point`` and ``confidence``. ``min_confidence`` leaves out rows below it
  (default 0: every row, as the paper).
- ``_not_mitosis.csv`` lists hard negatives (mitosis look-alikes). They are
  background for a mitosis detector and are not converted by default (their
  number is reported as ``not_mitosis_skipped``); with ``not_mitosis=True``
  they become a second class ``not_mitosis``, and a frame without that file
  is listed (``not_mitosis_missing``).
- A frame is labelled when its ``_mitosis.csv`` exists (an empty one: a frame
  without mitoses, counted as ``background``); without it the frame is kept
  without boxes and listed as ``unlabelled``. A CSV without a frame is listed
  as an ``orphan_labels`` file.
- Each image record carries ``patient``: the name of the folder that holds
  ``frames/``, so k-fold splits can keep a slide's frames together
  (:func:`~plb_mm.datasets.kfold.kfold_split` ``group_by='patient'``).

Rows with a number of fields other than 3 or a field that is not a finite
number are errors naming the CSV and the line; the point-to-box rules are
:mod:`.point_boxes`'.
"""
import os
import os.path as osp
from typing import List, Optional, Tuple

from .point_boxes import (DEFAULT_BOX_SIZE, PointImage, PointObject, _float, points_to_coco,
                          read_point_rows)
from .yolo_txt import IMG_EXTS

__all__ = ['MITOS_CLASSES', 'find_mitos_frames', 'read_mitos_csv', 'mitos_to_coco']

MITOS_CLASSES = ('mitosis', 'not_mitosis')
_SUFFIXES = ('_not_mitosis.csv', '_mitosis.csv')  # the longer one first


def find_mitos_frames(root: str, magnification: str = 'x40') -> List[Tuple[str, str, str]]:
    """The ``(frames folder, mitosis folder, patient)`` of every
    ``frames/<magnification>`` folder under ``root`` (sorted); the mitosis
    folder is ``<patient folder>/mitosis`` (it may not exist).

    Raises:
        FileNotFoundError: ``root`` is not a folder, or holds no
            ``frames/<magnification>`` folder.
    """
    if not osp.isdir(root):
        raise FileNotFoundError(f'{root}: not a folder')
    found = []
    for dirpath, dirnames, _ in os.walk(root):
        dirnames.sort()
        if osp.basename(dirpath) == magnification and \
                osp.basename(osp.dirname(dirpath)) == 'frames':
            patient_dir = osp.dirname(osp.dirname(dirpath))
            found.append((dirpath, osp.join(patient_dir, 'mitosis'), osp.basename(patient_dir)))
    if not found:
        raise FileNotFoundError(f'{root}: no frames/{magnification} folder found (the '
                                f'MITOS-ATYPIA-14 layout is <patient>/frames/{magnification}/'
                                f'<frame>.tiff and <patient>/mitosis/<frame>_mitosis.csv)')
    return found


def read_mitos_csv(path: str, class_name: str, min_confidence: float = 0.
                   ) -> Tuple[List[PointObject], int]:
    """The points of one ``_mitosis.csv`` / ``_not_mitosis.csv`` file with a
    confidence of at least ``min_confidence``, as ``class_name``, and how
    many rows fell below it.

    Raises:
        PointFormatError: a row that is not ``x,y,confidence`` with finite
            numbers (the message names the file and the line).
    """
    points, below = [], 0
    for row in read_point_rows(path, 3, 3, 'x,y,confidence'):
        conf = _float(row.extra[0], 'confidence', f'{path}: line {row.line}')
        if conf < min_confidence:
            below += 1
            continue
        points.append(PointObject(path, row.line, row.x, row.y, class_name,
                                  dict(confidence=conf)))
    return points, below


def _csv_stem(name: str) -> Optional[str]:
    for suffix in _SUFFIXES:
        if name.endswith(suffix):
            return name[:-len(suffix)]
    return None


def mitos_to_coco(root: str, out_file: Optional[str] = None, not_mitosis: bool = False,
                  min_confidence: float = 0., magnification: str = 'x40',
                  box_size: float = DEFAULT_BOX_SIZE, dup_iou: float = 0.8,
                  drop_duplicates: bool = False) -> dict:
    """Convert the MITOS-ATYPIA-14 frames under ``root`` to one COCO file
    (module docstring: layout and rules).

    ``file_name`` is relative to ``root`` (a config uses ``data_root=root``,
    ``data_prefix=dict(img='')``); categories: ``1 mitosis`` (and
    ``2 not_mitosis`` with ``not_mitosis``).

    Args:
        root (str): the folder with the patients' folders.
        out_file (str, optional): where to write the JSON.
        not_mitosis (bool): convert the ``_not_mitosis.csv`` rows as a
            second class.
        min_confidence (float): leave out rows with a lower confidence.
        magnification (str): the frames folder, ``x40`` (the mitosis
            annotations are given for the x40 frames).
        box_size, dup_iou, drop_duplicates: as for
            :func:`~.point_boxes.points_to_coco`.

    Returns:
        dict: the COCO data, also written to ``out_file``; ``info`` as the
        other converters write it, with the counts ``not_mitosis_skipped``,
        ``not_mitosis_missing`` and ``below_min_confidence`` in its summary.

    Raises:
        PointFormatError: a malformed row, a point whose box is clipped to
            zero area, an unreadable frame.
        FileNotFoundError: no ``frames/<magnification>`` folder under root.
    """
    classes = list(MITOS_CLASSES if not_mitosis else MITOS_CLASSES[:1])
    images: List[PointImage] = []
    orphans: List[str] = []
    extra = dict(not_mitosis_skipped=0, below_min_confidence=0)
    missing: List[str] = []
    found = find_mitos_frames(root, magnification)
    for frames_dir, mitosis_dir, patient in found:
        stems = set()
        for fn in sorted(os.listdir(frames_dir)):
            stem, ext = osp.splitext(fn)
            if ext.lower() not in IMG_EXTS:
                continue
            stems.add(stem)
            mit, not_mit = (osp.join(mitosis_dir, stem + s) for s in _SUFFIXES[::-1])
            files, points = [], []
            if osp.isfile(mit):
                files.append(mit)
                pts, below = read_mitos_csv(mit, 'mitosis', min_confidence)
                points += pts
                extra['below_min_confidence'] += below
                if osp.isfile(not_mit):
                    pts, below = read_mitos_csv(not_mit, 'not_mitosis', min_confidence)
                    if not_mitosis:
                        files.append(not_mit)
                        points += pts
                        extra['below_min_confidence'] += below
                    else:
                        extra['not_mitosis_skipped'] += len(pts) + below
                elif not_mitosis:
                    missing.append(osp.relpath(not_mit, root).replace(os.sep, '/'))
            images.append(PointImage(osp.join(frames_dir, fn), files, points,
                                     dict(patient=patient)))
        if osp.isdir(mitosis_dir):
            orphans += [osp.join(mitosis_dir, fn) for fn in sorted(os.listdir(mitosis_dir))
                        if _csv_stem(fn) is not None and _csv_stem(fn) not in stems]
    source = dict(format='mitos-atypia-14', root=osp.abspath(root), magnification=magnification,
                  frames=[osp.relpath(f, root).replace(os.sep, '/') for f, _, _ in found],
                  not_mitosis=not_mitosis, min_confidence=min_confidence)
    return points_to_coco(
        root, images, classes, source,
        f'{osp.abspath(root)}: MITOS-ATYPIA-14 centroids -> {box_size:g} px boxes '
        f'(plb_mm mitos2coco)', orphans, out_file, box_size, dup_iou, drop_duplicates, extra,
        dict(not_mitosis_missing=missing))
