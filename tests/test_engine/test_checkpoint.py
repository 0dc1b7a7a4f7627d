import pickle

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer, MessageHub
from mmengine.runner.checkpoint import _load_checkpoint

from plb_mm.engine import (WeightsOnlyCheckpointHook, checkpoint_trusted, from_weights_only,
                           to_weights_only, trusted_checkpoints)


def _message_hub_state():
    hub = MessageHub.get_instance('plb_mm_test_checkpoint')
    hub.update_scalar('train/loss', 1.5)
    hub.update_scalar('train/loss', 0.5)
    hub.update_info('eta', np.float64(12.5))
    hub.update_info('iter', 7)
    return hub.state_dict()


def test_message_hub_round_trip():
    state = _message_hub_state()
    safe = to_weights_only(state)
    assert not isinstance(safe['log_scalars']['train/loss'], HistoryBuffer)
    assert safe['runtime_info']['eta'] == 12.5 and type(safe['runtime_info']['eta']) is float
    back = from_weights_only(safe)
    buf = back['log_scalars']['train/loss']
    assert isinstance(buf, HistoryBuffer)
    np.testing.assert_array_equal(buf.data[0], [1.5, 0.5])
    np.testing.assert_array_equal(buf.data[1], [1, 1])
    assert buf.max_length == state['log_scalars']['train/loss'].max_length
    assert buf.mean() == 1.0
    assert from_weights_only(to_weights_only({'a': np.arange(3)}))['a'].tolist() == [0, 1, 2]


def test_stock_checkpoint_needs_trust_and_plb_checkpoint_does_not(tmp_path):
    ckpt = dict(meta=dict(epoch=1, iter=7), state_dict={'w': torch.ones(2)},
                message_hub=_message_hub_state())
    stock = tmp_path / 'stock.pth'
    torch.save(ckpt, stock)
    assert not checkpoint_trusted()
    with pytest.raises(pickle.UnpicklingError, match=r'stock\.pth: .*--trust-checkpoint'):
        _load_checkpoint(str(stock), map_location='cpu')
    with trusted_checkpoints():
        assert _load_checkpoint(str(stock), map_location='cpu')['meta']['iter'] == 7
    assert not checkpoint_trusted()

    hook = WeightsOnlyCheckpointHook()
    hook.before_save_checkpoint(None, ckpt)
    safe = tmp_path / 'plb.pth'
    torch.save(ckpt, safe)
    loaded = torch.load(safe, weights_only=True)  # the safe loader accepts it
    hook.after_load_checkpoint(None, loaded)
    assert isinstance(loaded['message_hub']['log_scalars']['train/loss'], HistoryBuffer)
    assert _load_checkpoint(str(safe), map_location='cpu')['meta']['epoch'] == 1


def test_missing_file_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match='nope.pth'):
        _load_checkpoint(str(tmp_path / 'nope.pth'), map_location='cpu')


def _truncate(path, keep=0.5):
    data = path.read_bytes()
    path.write_bytes(data[:int(len(data) * keep)])


def test_truncated_checkpoint_is_named(tmp_path):
    from plb_mm.engine import CheckpointCorruptError
    path = tmp_path / 'epoch_3.pth'
    torch.save(dict(state_dict={'w': torch.ones(1000)}), path)
    _truncate(path)
    with pytest.raises(CheckpointCorruptError, match=r'epoch_3\.pth: cannot be read as a '
                                                     r'checkpoint \(not a complete zip archive'):
        _load_checkpoint(str(path), map_location='cpu')
    path.write_bytes(b'')
    with pytest.raises(CheckpointCorruptError, match=r'epoch_3\.pth: .*the file is empty'):
        _load_checkpoint(str(path), map_location='cpu')


def test_resume_skips_damaged_checkpoints(tmp_path):
    from mmengine.config import Config

    from plb_mm.apis import setup_train_cfg
    from plb_mm.engine import find_resumable_checkpoint

    from ..conftest import QUICKSTART
    for i in (1, 2, 3):
        torch.save(dict(meta=dict(epoch=i)), tmp_path / f'epoch_{i}.pth')
    _truncate(tmp_path / 'epoch_3.pth')
    (tmp_path / 'epoch_2.pth').write_bytes(b'')
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / 'epoch_3.pth'))
    with pytest.warns(UserWarning) as record:
        assert find_resumable_checkpoint(str(tmp_path)) == str(tmp_path / 'epoch_1.pth')
    texts = [str(w.message) for w in record]
    assert any('epoch_3.pth: skipped for --resume, the file is damaged' in t for t in texts)
    assert any('epoch_2.pth: skipped for --resume' in t for t in texts)
    with pytest.warns(UserWarning):
        cfg = setup_train_cfg(Config.fromfile(str(QUICKSTART)), work_dir=str(tmp_path),
                              resume='auto')
    assert cfg.resume is True and cfg.load_from == str(tmp_path / 'epoch_1.pth')
    assert find_resumable_checkpoint(str(tmp_path / 'empty')) is None


def test_checkpoint_writes_are_atomic(tmp_path, monkeypatch):
    """mmengine's save_checkpoint goes through the local file backend, which
    writes a temporary file and renames it: a crash mid-write leaves the old
    file whole and no temporary behind."""
    import os

    from mmengine.fileio import get_file_backend
    from mmengine.runner.checkpoint import save_checkpoint

    from plb_mm.engine import AtomicLocalBackend
    path = tmp_path / 'epoch_1.pth'
    assert isinstance(get_file_backend(str(path)), AtomicLocalBackend)
    save_checkpoint(dict(meta=dict(epoch=1)), str(path))
    assert _load_checkpoint(str(path), map_location='cpu')['meta']['epoch'] == 1

    def crash(src, dst):
        raise OSError('disk full')
    monkeypatch.setattr(os, 'replace', crash)
    with pytest.raises(OSError, match='disk full'):
        save_checkpoint(dict(meta=dict(epoch=2)), str(path))
    monkeypatch.undo()
    assert _load_checkpoint(str(path), map_location='cpu')['meta']['epoch'] == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ['epoch_1.pth']


def test_checkpoint_of_another_class_count_is_refused(tmp_path):
    from mmengine.config import Config
    from mmdet.registry import MODELS
    from mmdet.utils import register_all_modules

    from plb_mm.engine import CheckpointMismatchError, check_checkpoint_fits
    from plb_mm.utils import set_num_classes

    from ..conftest import QUICKSTART
    register_all_modules()
    cfg = Config.fromfile(str(QUICKSTART))
    model3 = MODELS.build(cfg.model)
    path = tmp_path / 'three.pth'
    torch.save(dict(state_dict=model3.state_dict()), path)
    check_checkpoint_fits(model3, str(path))  # its own checkpoint fits
    set_num_classes(cfg.model, 5)
    model5 = MODELS.build(cfg.model)
    with pytest.raises(CheckpointMismatchError) as e:
        check_checkpoint_fits(model5, str(path), config='five.py')
    text = str(e.value)
    assert f'{path}: the checkpoint does not fit the model of five.py' in text
    assert 'roi_head.bbox_head.fc_cls.weight: (4, ' in text and ') in the checkpoint, (6, ' in text
    assert 'another number of classes' in text
    partial = {k: v for k, v in model3.state_dict().items() if not k.startswith('neck.')}
    torch.save(dict(state_dict=partial), path)
    with pytest.raises(CheckpointMismatchError, match=r'model weights are not in the checkpoint, '
                                                      r'e\.g\. neck\.'):
        check_checkpoint_fits(model3, str(path))


def _pretrained_cfg(checkpoint):
    from mmengine.config import Config
    return Config(dict(model=dict(
        type='FasterRCNN', backbone=dict(type='ResNet', depth=18, init_cfg=dict(
            type='Pretrained', checkpoint=checkpoint)),
        neck=dict(type='FPN', init_cfg=[dict(type='Xavier', layer='Conv2d')]))),
        cfg_text='# test', filename='configs/x.py')


def test_pretrained_weights_missing_file_names_key_and_fix(tmp_path):
    from plb_mm.apis.runner import train
    from plb_mm.engine import PretrainedWeightsError, check_pretrained_weights
    cfg = _pretrained_cfg(str(tmp_path / 'missing.pth'))
    with pytest.raises(PretrainedWeightsError) as e:
        check_pretrained_weights(cfg)
    msg = str(e.value)
    assert msg.startswith('configs/x.py: model.backbone.init_cfg asks for pretrained weights')
    assert 'missing.pth' in msg and '--cfg-options model.backbone.init_cfg=None' in msg
    with pytest.raises(PretrainedWeightsError):  # before any work dir or data set
        train(cfg)
    assert not (tmp_path / 'work_dirs').exists()


def test_pretrained_weights_unreachable_url_and_nested_key(tmp_path, monkeypatch):
    from plb_mm.engine import PretrainedWeightsError, check_pretrained_weights
    monkeypatch.setenv('TORCH_HOME', str(tmp_path))  # an empty download cache
    cfg = _pretrained_cfg(None)
    cfg.model.backbone.init_cfg = None
    cfg.model.neck.init_cfg.append(
        dict(type='Pretrained', checkpoint='http://127.0.0.1:9/neck.pth'))
    with pytest.raises(PretrainedWeightsError, match=r'model\.neck\.init_cfg\[1\] asks .*'
                       r'http://127\.0\.0\.1:9/neck\.pth'):
        check_pretrained_weights(cfg)


def test_pretrained_weights_present_or_absent_pass(tmp_path):
    from plb_mm.engine import check_pretrained_weights
    path = tmp_path / 'r18.pth'
    torch.save({'conv1.weight': torch.zeros(1)}, path)
    check_pretrained_weights(_pretrained_cfg(str(path)))  # loads: no error
    cfg = _pretrained_cfg(None)
    cfg.model.backbone.init_cfg = None  # from scratch: nothing to load
    check_pretrained_weights(cfg)


def test_torchvision_scheme_without_torchvision_reads_the_hub_cache(tmp_path, monkeypatch):
    """torchvision://NAME resolves through mmengine's URL table when torchvision
    is absent; a file already in the torch hub cache is read offline."""
    import sys
    from plb_mm.engine import PretrainedWeightsError, check_pretrained_weights
    monkeypatch.setitem(sys.modules, 'torchvision', None)  # import torchvision fails
    monkeypatch.setenv('TORCH_HOME', str(tmp_path))
    (tmp_path / 'hub' / 'checkpoints').mkdir(parents=True)
    torch.save({'conv1.weight': torch.full((1, ), 7.)},
               tmp_path / 'hub' / 'checkpoints' / 'resnet18-f37072fd.pth')
    state = _load_checkpoint('torchvision://resnet18', map_location='cpu')
    assert state['conv1.weight'].item() == 7.
    check_pretrained_weights(_pretrained_cfg('torchvision://resnet18'))
    with pytest.raises(PretrainedWeightsError, match=r"no such torchvision model.*near: resnet1"):
        check_pretrained_weights(_pretrained_cfg('torchvision://resnet19'))
