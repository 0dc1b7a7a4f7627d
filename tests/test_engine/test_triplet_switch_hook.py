"""TripletSwitchHook switches the SLA-Det triplet term by epoch: on for
[0, until_epoch), off after, set anew before every epoch (resume-safe)."""
from types import SimpleNamespace

import pytest
import torch
from mmengine.config import ConfigDict

from mmdet.registry import HOOKS
from plb_mm.engine import TripletSwitchHook, triplet_heads
from plb_mm.models import SLADetYOLOXHead


def _head(**kw):
    return SLADetYOLOXHead(num_classes=2, in_channels=2, feat_channels=2, stacked_convs=1,
                           strides=(8,), train_cfg=ConfigDict(
                               assigner=dict(type='SimOTAAssigner', center_radius=2.5)), **kw)


def test_triplet_switch_hook_by_epoch():
    model = torch.nn.ModuleDict(dict(a=_head(triplet=dict()), b=_head()))
    hook = HOOKS.build(dict(type='TripletSwitchHook', until_epoch=40))
    assert isinstance(hook, TripletSwitchHook)
    assert model['a'].use_triplet and not model['b'].use_triplet
    for epoch, on in ((0, True), (39, True), (40, False), (49, False), (3, True)):  # 3: resumed
        hook.before_train_epoch(SimpleNamespace(model=model, epoch=epoch))
        assert model['a'].use_triplet is on
        assert model['b'].use_triplet is False  # no triplet configured: untouched
    with pytest.raises(ValueError):
        TripletSwitchHook(until_epoch=-1)
    assert triplet_heads(model) == [model['a']]
