"""tools/analysis_tools/film_report.py end to end, in this process, with the
CPU SLA-Det YOLOX (configs/sladet/yolox_tiny_lr_50e_synthetic-sladet.py,
classes RBC, WBC, Platelet; its test pipeline at 64 px for speed) at a
random init whose prediction convs are zeroed with biases set so that every
prior scores sigmoid(8)^2 = 0.9993 for WBC and ~0 for the others: every
detection is a WBC. Films: a folder with one subdirectory per film, and a
COCO file with `film` keys. Without an attribute head the report is counts
only; with the AttriHead (configs/sladet/yolox_tiny_lr-attri_30e_synthetic-sladet.py,
its last FC layer zeroed, biases logit(0.9) for nuclear_shape and logit(0.1)
for the others) the text gives the config's attribute names.
"""
import json
import math
import runpy
import sys

import cv2
import numpy as np
import pytest
import torch

from ..conftest import REPO

CONFIG = REPO / 'configs/sladet/yolox_tiny_lr_50e_synthetic-sladet.py'
ATTRI_CONFIG = REPO / 'configs/sladet/yolox_tiny_lr-attri_30e_synthetic-sladet.py'
TOOL = REPO / 'tools/analysis_tools/film_report.py'
CLASSES = ['RBC', 'WBC', 'Platelet']


@pytest.fixture(autouse=True)
def one_thread():
    """Run torch on one thread: the 64 px model's convs are too small to
    share, and two threads on a busy 2-core machine took 4 s per image
    (0.04 s on one)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _small_config(folder, base):
    """``base`` with its test pipeline at 64 px (the CPU here is shared)."""
    path = folder / 'small.py'
    path.write_text(f"""_base_ = '{base}'
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(64, 64), keep_ratio=True),
    dict(type='LoadSLADetAnnotations', with_bbox=True, with_regions=False),
    dict(type='PackSLADetInputs',
         meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor'))]
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
""")
    return path


@pytest.fixture(scope='module')
def config(tmp_path_factory):
    return _small_config(tmp_path_factory.mktemp('cfg'), CONFIG)


def _checkpoint(folder, config):
    """The config's model, random init; objectness, class and box convs
    zeroed, biases +8 (objectness), (-8, +8, -8) (classes), (0, 0, 2, 2)
    (boxes e^2 strides wide); an attribute head's last FC zeroed, biases
    logit(0.9) for attribute 1 and logit(0.1) for the others; saved as
    {'state_dict', 'meta'}."""
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    import plb_mm  # noqa: F401
    from mmdet.registry import MODELS
    init_default_scope('mmdet')
    torch.manual_seed(0)
    model = MODELS.build(Config.fromfile(str(config)).model)
    head = model.bbox_head
    with torch.no_grad():
        for convs, bias in ((head.multi_level_conv_obj, [8.0]),
                            (head.multi_level_conv_cls, [-8.0, 8.0, -8.0]),
                            (head.multi_level_conv_reg, [0.0, 0.0, 2.0, 2.0])):
            for conv in convs:
                conv.weight.zero_()
                conv.bias.copy_(torch.tensor(bias))
        if hasattr(model, 'attri_head'):
            last = model.attri_head.fcs[-1]
            last.weight.zero_()
            last.bias.fill_(math.log(0.1 / 0.9))
            last.bias[1] = math.log(0.9 / 0.1)
    path = folder / 'random.pth'
    torch.save(dict(state_dict=model.state_dict(),
                    meta=dict(dataset_meta=dict(classes=CLASSES))), path)
    return str(path)


@pytest.fixture(scope='module')
def checkpoint(tmp_path_factory):
    return _checkpoint(tmp_path_factory.mktemp('ckpt'), CONFIG)


def _write_images(folder, names, seed=0):
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    for name in names:
        cv2.imwrite(str(folder / name), rng.integers(0, 256, (96, 128, 3), dtype=np.uint8))


def _run(monkeypatch, config, *args):
    monkeypatch.setattr(sys, 'argv', ['film_report.py', str(config), *map(str, args)])
    runpy.run_path(str(TOOL), run_name='__main__')


def test_folder_of_films_counts_only(config, checkpoint, tmp_path, monkeypatch, capsys):
    _write_images(tmp_path / 'slides/film_a', ['1.png', '2.jpg'])
    _write_images(tmp_path / 'slides/film_b', ['1.png'])
    (tmp_path / 'slides/film_b/notes.txt').write_text('not an image')
    out = tmp_path / 'out'
    _run(monkeypatch, config, checkpoint, '--slides', tmp_path / 'slides', '--out', out,
         '--wbc-classes', 'WBC')
    log = capsys.readouterr().out
    assert 'film 1/2 film_a: 2 images' in log and 'film 2/2 film_b: 1 image\n' in log
    assert '2/2 images done' in log and f'wrote {out}/film_a.md' in log
    assert sorted(p.name for p in out.iterdir()) == [
        'film_a.json', 'film_a.md', 'film_a.png', 'film_b.json', 'film_b.md', 'film_b.png']
    data = json.loads((out / 'film_a.json').read_text())
    assert data['num_images'] == 2 and data['classes'] == CLASSES
    assert [i['image'] for i in data['images']] == [
        str(tmp_path / 'slides/film_a/1.png'), str(tmp_path / 'slides/film_a/2.jpg')]
    n = data['counts']['WBC']
    assert n > 0 and data['counts'] == dict(RBC=0, WBC=n, Platelet=0)
    assert not data['has_attributes'] and data['attributes'] == {}
    assert data['attribute_names'] == ['nuclear_chromatin', 'nuclear_shape', 'nucleus',
                                       'cytoplasm', 'cytoplasmic_basophilia',
                                       'cytoplasmic_vacuoles']
    assert data['meta']['checkpoint'] == checkpoint
    assert (f'The most frequent white cell type is WBC: {n} of {n} white cells (100 %).'
            in data['text'])
    assert 'counts-only report' in data['text']
    assert (out / 'film_a.md').read_text().startswith('# Film report: film_a\n')
    assert json.loads((out / 'film_b.json').read_text())['num_images'] == 1


def test_coco_films_with_attributes(tmp_path, monkeypatch, capsys):
    """Images grouped by `film` (one record without it: a film named after
    the file), found in the json's sibling images/; the AttriHead gives 0.9
    for nuclear_shape and 0.1 for the others on every detection."""
    _write_images(tmp_path / 'ann/images', ['a.png', 'b.png', 'c.png'])
    images = [dict(id=1, file_name='a.png', film='P1'), dict(id=2, file_name='b.png', film='P1'),
              dict(id=3, file_name='c.png')]
    (tmp_path / 'ann/test.json').write_text(json.dumps(dict(images=images, annotations=[])))
    config = _small_config(tmp_path, ATTRI_CONFIG)
    checkpoint = _checkpoint(tmp_path, ATTRI_CONFIG)
    out = tmp_path / 'out'
    _run(monkeypatch, config, checkpoint, '--slides', tmp_path / 'ann/test.json',
         '--out', out, '--score-thr', '0.5', '--wbc-classes', 'WBC', 'Platelet')
    assert 'film 2/2 test: 1 image\n' in capsys.readouterr().out
    p1 = json.loads((out / 'P1.json').read_text())
    assert p1['num_images'] == 2 and p1['score_thr'] == 0.5 and p1['has_attributes']
    assert p1['summary']['most_frequent'] == 'WBC'
    assert p1['attributes']['WBC']['nuclear_shape'] == dict(present=1.0,
                                                            mean_prob=pytest.approx(0.9))
    assert p1['attributes']['WBC']['nucleus']['present'] == 0.0
    assert ('Predominant morphology of the WBC cells: nuclear_chromatin: absent in 100 % of '
            'cells; nuclear_shape: present in 100 % of cells; nucleus: absent in 100 %'
            in p1['text'])
    assert '### WBC' in (out / 'P1.md').read_text()
    assert json.loads((out / 'test.json').read_text())['num_images'] == 1


def test_bad_input_names_the_path(config, checkpoint, tmp_path, monkeypatch):
    (tmp_path / 'empty').mkdir()
    with pytest.raises(SystemExit, match=f'{tmp_path}/empty: no images'):
        _run(monkeypatch, config, checkpoint, '--slides', tmp_path / 'empty')
    (tmp_path / 'bad.json').write_text('{"images": [')
    with pytest.raises(SystemExit, match=f'{tmp_path}/bad.json: cannot be read as a COCO json'):
        _run(monkeypatch, config, checkpoint, '--slides', tmp_path / 'bad.json')
    (tmp_path / 'lost.json').write_text(json.dumps(dict(images=[dict(id=1, file_name='x.png')])))
    with pytest.raises(SystemExit, match="image 'x.png' not found under"):
        _run(monkeypatch, config, checkpoint, '--slides', tmp_path / 'lost.json')
    _write_images(tmp_path / 'one', ['1.png'])
    no_classes = tmp_path / 'no_classes.py'
    no_classes.write_text("model = dict(type='YOLOX')\n"
                          "test_dataloader = dict(dataset=dict(type='CocoDataset'))\n")
    with pytest.raises(SystemExit, match=f'{no_classes}: no class names'):
        _run(monkeypatch, no_classes, checkpoint, '--slides', tmp_path / 'one')
    with pytest.raises(SystemExit, match=r"\['Blast'\] are not among the classes"):
        _run(monkeypatch, config, checkpoint, '--slides', tmp_path / 'one',
             '--wbc-classes', 'Blast', '--out', tmp_path / 'out')
    assert not (tmp_path / 'out').exists()


def test_checkpoint_class_names(config, checkpoint, tmp_path, monkeypatch):
    """The report names labels after the config: a checkpoint without class
    names gets no COCO-fallback warning, one with other names a warning."""
    import warnings
    _write_images(tmp_path / 'one', ['1.png'])
    state = torch.load(checkpoint, weights_only=True)['state_dict']
    bare, other = tmp_path / 'bare.pth', tmp_path / 'other.pth'
    torch.save(dict(state_dict=state, meta={}), bare)
    torch.save(dict(state_dict=state, meta=dict(dataset_meta=dict(classes=['a', 'b', 'c']))),
               other)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        _run(monkeypatch, config, bare, '--slides', tmp_path / 'one', '--out', tmp_path / 'o1')
    assert not [w for w in caught if 'COCO' in str(w.message)]
    assert json.loads((tmp_path / 'o1/one.json').read_text())['counts']['WBC'] > 0
    with pytest.warns(UserWarning, match=r"saved with classes \['a', 'b', 'c'\]; the report "
                      r"names the labels after the config: \['RBC', 'WBC', 'Platelet'\]"):
        _run(monkeypatch, config, other, '--slides', tmp_path / 'one', '--out', tmp_path / 'o2')
