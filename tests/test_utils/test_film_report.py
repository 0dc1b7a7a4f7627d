"""MorphologyBank, film_text and the report writers on hand-made detections.

Film of 3 images, classes (RBC, blast, lymphocyte), 2 attributes, threshold 0.3:
    image 1: blast .9 [.8, .1], blast .6 [.7, .6], RBC .95 [.2, .2], blast .2 (dropped)
    image 2: lymphocyte .5 [.9, .9], blast .31 [.3, .4], RBC .3 (kept: >= thr)
    image 3: nothing
counts: RBC 2, blast 3, lymphocyte 1 (6 detections); WBC = blast, lymphocyte: 4.
blast attributes (.8 .7 .3 / .1 .6 .4): a0 present 2/3 (mean .6), a1 present 1/3
    (mean 1.1/3 = .3667) -> "a0: present in 67 %", "a1: absent in 67 %".
"""
import json

import numpy as np
import pytest
import torch
from mmengine.structures import InstanceData

from mmdet.structures import DetDataSample
from plb_mm.utils.film_report import (MorphologyBank, film_summary, film_text, find_films,
                                      format_film_markdown, write_film_report)

CLASSES = ('RBC', 'blast', 'lymphocyte')
NAMES = ('nuclear_shape', 'vacuoles')
IMAGES = [
    ([1, 1, 0, 1], [0.9, 0.6, 0.95, 0.2], [[0.8, 0.1], [0.7, 0.6], [0.2, 0.2], [0.9, 0.9]]),
    ([2, 1, 0], [0.5, 0.31, 0.3], [[0.9, 0.9], [0.3, 0.4], [0.5, 0.5]]),
    ([], [], np.zeros((0, 2))),
]


def _bank(attributes=True, names=NAMES, **kw):
    bank = MorphologyBank(CLASSES, names, name='slide 7', **kw)
    for i, (labels, scores, attrs) in enumerate(IMAGES):
        bank.add(torch.tensor(labels, dtype=torch.long), torch.tensor(scores),
                 torch.tensor(attrs, dtype=torch.float32) if attributes else None,
                 image=f'img{i}.png')
    return bank


def test_counts_and_attribute_frequencies():
    bank = _bank()
    assert bank.num_images == 3 and bank.has_attributes
    assert bank.counts() == dict(RBC=2, blast=3, lymphocyte=1)
    freqs = bank.attribute_frequencies()
    assert list(freqs) == ['RBC', 'blast', 'lymphocyte']
    assert freqs['blast']['nuclear_shape']['present'] == pytest.approx(2 / 3)
    assert freqs['blast']['nuclear_shape']['mean_prob'] == pytest.approx(0.6)
    assert freqs['blast']['vacuoles']['present'] == pytest.approx(1 / 3)
    assert freqs['blast']['vacuoles']['mean_prob'] == pytest.approx(1.1 / 3)
    # 0.5 counts as present: RBC a0 (.2, .5) -> 1/2
    assert freqs['RBC']['nuclear_shape']['present'] == pytest.approx(0.5)
    assert freqs['lymphocyte']['vacuoles'] == dict(present=1.0, mean_prob=pytest.approx(0.9))
    assert bank.image_counts() == [dict(image='img0.png', counts=dict(RBC=1, blast=2)),
                                   dict(image='img1.png', counts=dict(RBC=1, blast=1,
                                                                      lymphocyte=1)),
                                   dict(image='img2.png', counts={})]


def test_score_threshold():
    assert _bank(score_thr=0.0).counts() == dict(RBC=2, blast=4, lymphocyte=1)
    assert _bank(score_thr=0.55).counts() == dict(RBC=1, blast=2, lymphocyte=0)
    # a score equal to the threshold is kept (0.5 is exact in float32)
    assert _bank(score_thr=0.5).counts() == dict(RBC=1, blast=2, lymphocyte=1)
    # lymphocyte (.5) gone: no row for it
    assert 'lymphocyte' not in _bank(score_thr=0.55).attribute_frequencies()


def test_majority_morphology_sentence():
    summary = film_summary(_bank(), wbc_classes=['blast', 'lymphocyte'])
    assert summary['most_frequent'] == 'blast' and summary['count'] == 3
    assert summary['num_wbc'] == 4 and summary['share'] == pytest.approx(0.75)
    assert summary['morphology'] == dict(
        nuclear_shape=dict(value='present', share=pytest.approx(2 / 3)),
        vacuoles=dict(value='absent', share=pytest.approx(2 / 3)))
    text = film_text(_bank(), wbc_classes=['blast', 'lymphocyte'])
    assert text == (
        'In film slide 7 (3 images, detections scoring >= 0.3) 6 cells were detected, 4 of '
        'them white cells. The most frequent white cell type is blast: 3 of 4 white cells '
        '(75 %). Other white cell types: lymphocyte 1 (25 %). Predominant morphology of the '
        'blast cells: nuclear_shape: present in 67 % of cells; vacuoles: absent in 67 % of '
        'cells.')


def test_default_wbc_classes_are_all_classes():
    # all classes: blast (3) beats RBC (2); shares of all 6 detections
    text = film_text(_bank())
    assert 'The most frequent cell type is blast: 3 of 6 cells (50 %).' in text
    assert 'Other cell types: RBC 2 (33 %), lymphocyte 1 (17 %).' in text
    # only RBC counted as WBC: its morphology (a0 .2/.5 -> half present)
    s = film_summary(_bank(), wbc_classes=['RBC'])
    assert s['most_frequent'] == 'RBC' and s['share'] == 1.0
    assert s['morphology']['nuclear_shape'] == dict(value='present', share=0.5)
    with pytest.raises(ValueError, match=r"\['monocyte'\] are not among the classes"):
        film_text(_bank(), wbc_classes=['blast', 'monocyte'])


def test_tie_goes_to_the_first_class_and_is_said():
    bank = MorphologyBank(CLASSES, name='t')
    bank.add([2, 1], [0.9, 0.9])
    s = film_summary(bank)
    assert s['most_frequent'] == 'blast' and s['ties'] == ['lymphocyte']
    assert film_text(bank) == (
        'In film t (1 image, detections scoring >= 0.3) 2 cells were detected. The most '
        'frequent cell type is blast: 1 of 2 cells (50 %). lymphocyte ties with it (1 each); '
        'the report describes blast, the first in class order. Other cell types: lymphocyte 1 '
        '(50 %). The model gives no attribute predictions, so this is a counts-only report: '
        'no morphology is described.')
    bank = MorphologyBank(CLASSES, name='t')
    bank.add([1], [0.9])
    assert film_text(bank).startswith('In film t (1 image, detections scoring >= 0.3) 1 cell '
                                      'was detected. The most frequent cell type is blast: 1 '
                                      'of 1 cells (100 %). The model')


def test_no_detections():
    bank = MorphologyBank(CLASSES, NAMES, name='empty')
    bank.add([0, 1], [0.1, 0.2], [[0.9, 0.9], [0.9, 0.9]])
    bank.add([], [], None)
    assert bank.counts() == dict(RBC=0, blast=0, lymphocyte=0)
    assert not bank.has_attributes and bank.attribute_frequencies() == {}
    assert film_text(bank) == ('No cells were detected in film empty (2 images, detections '
                               'scoring >= 0.3).')
    # cells, but none of the WBC types
    bank.add([0], [0.9], [[0.1, 0.1]])
    assert film_text(bank, ['blast', 'lymphocyte']) == (
        'No white cells (blast, lymphocyte) were detected in film empty (3 images, '
        'detections scoring >= 0.3); 1 cell of another type was.')


def test_no_attributes_is_counts_only():
    bank = _bank(attributes=False)
    assert bank.counts() == dict(RBC=2, blast=3, lymphocyte=1)
    assert not bank.has_attributes and bank.attributes is None
    assert bank.attribute_frequencies() == {}
    text = film_text(bank, ['blast', 'lymphocyte'])
    assert 'The most frequent white cell type is blast: 3 of 4 white cells (75 %).' in text
    assert text.endswith('The model gives no attribute predictions, so this is a counts-only '
                         'report: no morphology is described.')
    assert 'Predominant' not in text


def test_default_attribute_names_and_checks():
    bank = _bank(names=None)
    assert bank.attribute_names == ('a0', 'a1')
    assert list(bank.attribute_frequencies()['blast']) == ['a0', 'a1']
    with pytest.raises(ValueError, match='3 attributes per detection but 2 attribute names'):
        _bank().add([1], [0.9], [[0.1, 0.2, 0.3]], image='x.png')
    with pytest.raises(ValueError, match=r'x.png: labels \[3\] outside the 3 classes'):
        _bank().add([3], [0.9], [[0.1, 0.2]], image='x.png')
    with pytest.raises(ValueError, match='detections without attributes after images with'):
        _bank().add([1], [0.9], None, image='x.png')
    # an image without kept detections may lack them
    assert _bank().add([1], [0.1], None) == 0


def test_add_sample_reads_pred_instances():
    bank = MorphologyBank(CLASSES, NAMES)
    sample = DetDataSample(metainfo=dict(img_path='a.png'))
    sample.pred_instances = InstanceData(labels=torch.tensor([1, 2]),
                                         scores=torch.tensor([0.8, 0.7]),
                                         bboxes=torch.zeros(2, 4),
                                         attributes=torch.tensor([[0.9, 0.1], [0.2, 0.7]]))
    assert bank.add_sample(sample) == 2
    sample = DetDataSample(metainfo=dict(img_path='b.png'))
    sample.pred_instances = InstanceData(labels=torch.tensor([1]), scores=torch.tensor([0.9]),
                                         bboxes=torch.zeros(1, 4))
    counts_only = MorphologyBank(CLASSES)
    counts_only.add_sample(sample)
    assert bank.images == ['a.png'] and counts_only.images == ['b.png']
    assert bank.attribute_frequencies()['lymphocyte']['vacuoles']['present'] == 1.0
    assert not counts_only.has_attributes and counts_only.counts()['blast'] == 1


def test_writers(tmp_path):
    bank = _bank()
    paths = write_film_report(bank, str(tmp_path / 'out'), ['blast', 'lymphocyte'],
                              meta=dict(config='c.py'))
    assert paths == dict(md=str(tmp_path / 'out/slide_7.md'),
                         json=str(tmp_path / 'out/slide_7.json'),
                         png=str(tmp_path / 'out/slide_7.png'))
    data = json.loads((tmp_path / 'out/slide_7.json').read_text())
    assert data['film'] == 'slide 7' and data['num_images'] == 3 and data['score_thr'] == 0.3
    assert data['counts'] == dict(RBC=2, blast=3, lymphocyte=1) and data['num_detections'] == 6
    assert data['shares']['blast'] == pytest.approx(0.5)
    assert data['attributes']['blast']['vacuoles']['mean_prob'] == pytest.approx(1.1 / 3)
    assert data['summary']['most_frequent'] == 'blast'
    assert data['summary']['share'] == pytest.approx(0.75)
    assert data['summary']['morphology']['vacuoles'] == dict(value='absent',
                                                             share=pytest.approx(2 / 3))
    assert data['text'] == film_text(bank, ['blast', 'lymphocyte'])
    assert data['meta'] == dict(config='c.py') and data['has_attributes'] is True
    assert data['images'][2] == dict(image='img2.png', counts={})
    md = (tmp_path / 'out/slide_7.md').read_text()
    assert md.startswith('# Film report: slide 7\n')
    assert '| blast | 3 | 50 % |' in md and '| total | 6 | 100 % |' in md
    assert '### blast (3 cells)' in md and '| vacuoles | 33 % | 0.37 |' in md
    assert '### RBC' not in md  # attribute tables only for the white cell types
    assert film_text(bank, ['blast', 'lymphocyte']) in md
    png = (tmp_path / 'out/slide_7.png').read_bytes()
    assert png[:8] == b'\x89PNG\r\n\x1a\n' and len(png) > 5000


def test_writers_counts_only_and_empty(tmp_path):
    md = format_film_markdown(_bank(attributes=False))
    assert 'The model gives no attribute predictions (counts-only report).' in md
    assert '###' not in md
    empty = MorphologyBank(CLASSES, name='e')
    paths = write_film_report(empty, str(tmp_path))
    data = json.loads(open(paths['json']).read())
    assert data['num_images'] == 0 and data['num_detections'] == 0
    assert data['summary']['most_frequent'] is None and data['attributes'] == {}
    md = open(paths['md']).read()
    assert '| total | 0 | - |' in md and 'No detections.' in md and 'counts-only' not in md
    assert open(paths['png'], 'rb').read()[:4] == b'\x89PNG'


def _touch(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b'')


def test_find_films_in_folders(tmp_path):
    for name in ('flat/b.jpg', 'flat/a.PNG', 'flat/readme.txt', 'films/s2/x.png',
                 'films/s1/y.tif', 'films/empty/z.txt', 'mixed/m.png', 'mixed/sub/n.png'):
        _touch(tmp_path / name)
    assert find_films(str(tmp_path / 'flat')) == dict(
        flat=[str(tmp_path / 'flat/a.PNG'), str(tmp_path / 'flat/b.jpg')])
    films = find_films(str(tmp_path / 'films'))
    assert list(films) == ['s1', 's2'] and films['s2'] == [str(tmp_path / 'films/s2/x.png')]
    with pytest.raises(ValueError, match=f'{tmp_path}/mixed: holds images and subdirectories'):
        find_films(str(tmp_path / 'mixed'))
    with pytest.raises(ValueError, match=f'{tmp_path}/films/empty: no images'):
        find_films(str(tmp_path / 'films/empty'))
    with pytest.raises(ValueError, match=f'{tmp_path}/nothing: no such folder'):
        find_films(str(tmp_path / 'nothing'))


def test_find_films_in_a_coco_file(tmp_path):
    # the synthetic sets' layout: data_root/annotations/val.json, files val/000001.jpg
    for name in ('root/val/1.jpg', 'root/val/2.jpg', 'root/val/3.jpg', 'root/images/4.jpg'):
        _touch(tmp_path / name)
    images = [dict(id=1, file_name='val/1.jpg', film='A'), dict(id=2, file_name='val/2.jpg'),
              dict(id=3, file_name='val/3.jpg', slide=7), dict(id=4, file_name='4.jpg', film='A')]
    ann = tmp_path / 'root/annotations/val.json'
    ann.parent.mkdir()
    ann.write_text(json.dumps(dict(images=images)))
    root = tmp_path / 'root'
    assert find_films(str(ann)) == {'A': [str(root / 'val/1.jpg'), str(root / 'images/4.jpg')],
                                    'val': [str(root / 'val/2.jpg')],
                                    '7': [str(root / 'val/3.jpg')]}
    # --img-root replaces the guesses
    with pytest.raises(ValueError, match="image '4.jpg' not found under"):
        find_films(str(ann), img_root=str(root))
    ann.write_text(json.dumps(dict(images=images[:3])))
    assert find_films(str(ann), img_root=str(root))['val'] == [str(root / 'val/2.jpg')]
    ann.write_text(json.dumps(dict(annotations=[])))
    with pytest.raises(ValueError, match='val.json: not a COCO file'):
        find_films(str(ann))
