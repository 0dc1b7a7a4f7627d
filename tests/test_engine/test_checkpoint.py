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
