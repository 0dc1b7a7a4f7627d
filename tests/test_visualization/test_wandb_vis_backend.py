"""W&B failures never stop training: unreachable server, failing init,
failing logging. ``wandb`` itself is replaced by a recorder here."""
import socket
import warnings

import pytest

from plb_mm.visualization import FailSafeWandbVisBackend


class FakeWandb:
    def __init__(self, fail_init=0, fail_log=False):
        self.inits, self.logged, self.fail_init, self.fail_log = [], [], fail_init, fail_log

    def init(self, **kwargs):
        self.inits.append(dict(kwargs))
        if len(self.inits) <= self.fail_init:
            raise RuntimeError(f'init failure {len(self.inits)}')

    def log(self, data, commit=True):
        if self.fail_log:
            raise ConnectionError('connection reset')
        self.logged.append(data)

    def join(self):
        pass


@pytest.fixture
def fake(monkeypatch):
    import wandb

    def install(**kw):
        f = FakeWandb(**kw)
        monkeypatch.setattr(wandb, 'init', f.init)
        monkeypatch.setattr(wandb, 'log', f.log)
        monkeypatch.setattr(wandb, 'join', f.join)
        return f
    return install


@pytest.fixture
def unreachable(monkeypatch):
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]
    monkeypatch.setenv('WANDB_BASE_URL', f'http://127.0.0.1:{port}')
    monkeypatch.delenv('WANDB_MODE', raising=False)


def _warnings(fn):
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter('always')
        fn()
    return [str(w.message) for w in rec if 'W&B' in str(w.message)]


def test_unreachable_server_logs_offline(fake, unreachable, tmp_path):
    f = fake()
    b = FailSafeWandbVisBackend(str(tmp_path), init_kwargs=dict(project='p'))
    msgs = _warnings(lambda: b.add_scalars({'loss': 1.0}, step=1))
    assert len(msgs) == 1 and 'cannot be reached; logging offline' in msgs[0]
    assert f.inits == [dict(project='p', mode='offline', dir=str(tmp_path))]
    assert f.logged == [{'loss': 1.0}]


def test_failing_init_retries_offline_then_turns_off(fake, tmp_path, monkeypatch):
    monkeypatch.setenv('WANDB_MODE', 'offline')  # no reachability check: init itself fails
    f = fake(fail_init=1)
    b = FailSafeWandbVisBackend(str(tmp_path), init_kwargs=dict(mode='online'))
    monkeypatch.setattr('plb_mm.visualization.wandb_vis_backend.wandb_reachable', lambda t: True)
    msgs = _warnings(lambda: b.add_scalars({'loss': 1.0}))
    assert len(msgs) == 1 and 'wandb.init failed (RuntimeError: init failure 1); logging offline' \
        in msgs[0]
    assert [i['mode'] for i in f.inits] == ['online', 'offline'] and f.logged == [{'loss': 1.0}]

    f = fake(fail_init=2)
    b = FailSafeWandbVisBackend(str(tmp_path), init_kwargs=dict(mode='online'))
    msgs = _warnings(lambda: (b.add_scalars({'loss': 1.0}), b.add_scalar('x', 2.0), b.close()))
    assert len(msgs) == 2 and 'W&B logging is off for this run' in msgs[1]
    assert f.logged == [] and b.experiment is None


def test_failure_while_logging_turns_the_backend_off(fake, tmp_path, monkeypatch):
    monkeypatch.setenv('WANDB_MODE', 'offline')
    f = fake(fail_log=True)
    b = FailSafeWandbVisBackend(str(tmp_path), init_kwargs=dict(mode='offline'))
    msgs = _warnings(lambda: [b.add_scalars({'loss': float(i)}, step=i) for i in range(5)])
    assert len(msgs) == 1 and 'add_scalars failed (ConnectionError: connection reset)' in msgs[0]
    assert len(f.inits) == 1
