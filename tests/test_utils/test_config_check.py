import pytest
from mmengine.config import Config

import plb_mm  # noqa: F401  (registers plb_mm's types)
from plb_mm.utils import ConfigTypeError, check_config_types

from ..conftest import QUICKSTART, run_tool


def _cfg(text, tmp_path):
    path = tmp_path / 'cfg.py'
    path.write_text(text)
    return Config.fromfile(str(path))


def test_typo_names_type_path_and_registry(tmp_path):
    cfg = _cfg(f"_base_ = '{QUICKSTART}'\nmodel = dict(rpn_head=dict(type='RPNHaed'))\n", tmp_path)
    with pytest.raises(ConfigTypeError, match=r"model\.rpn_head = 'RPNHaed' is not registered.*"
                       r"did you mean 'RPNHead' \(registry 'mmdet::model'\)"):
        check_config_types(cfg)


def test_typo_in_a_plb_mm_type(tmp_path):
    cfg = _cfg(f"_base_ = '{QUICKSTART}'\n"
               "train_dataloader = dict(dataset=dict(type='SyntheticCellDataset'))\n", tmp_path)
    with pytest.raises(ConfigTypeError, match=r"train_dataloader\.dataset = 'SyntheticCellDataset'.*"
                       r"did you mean 'SyntheticCellsDataset' \(registry 'mmdet::dataset'\)"):
        check_config_types(cfg)


def test_plb_type_without_custom_imports(tmp_path):
    cfg = _cfg(f"_base_ = '{QUICKSTART}'\ncustom_imports = dict(imports=[], allow_failed_imports=False)\n",
               tmp_path)
    with pytest.raises(ConfigTypeError, match=r"'SyntheticCellsDataset' is plb_mm's type in registry "
                       r"'mmdet::dataset', but the config does not import plb_mm"):
        check_config_types(cfg)


def test_shipped_config_passes_and_nms_types_are_not_registry_keys(tmp_path):
    check_config_types(Config.fromfile(str(QUICKSTART)))
    cfg = _cfg(f"_base_ = '{QUICKSTART}'\n"
               "model = dict(test_cfg=dict(rcnn=dict(nms=dict(type='soft_nms'))))\n", tmp_path)
    check_config_types(cfg)


def test_train_tool_reports_it(tmp_path):
    path = tmp_path / 'bad.py'
    path.write_text(f"_base_ = '{QUICKSTART}'\nmodel = dict(rpn_head=dict(type='RPNHaed'))\n")
    proc = run_tool('tools/train.py', str(path), '--work-dir', str(tmp_path / 'w'), check=False)
    assert proc.returncode != 0 and "did you mean 'RPNHead'" in proc.stderr


def test_unknown_argument_names_the_path_and_the_close_match(tmp_path):
    cfg = _cfg(f"_base_ = '{QUICKSTART}'\nmodel = dict(rpn_head=dict(type='BoxWeightedRPNHead', "
               "loss_weighter=dict(cls=[dict(type='PLBWeighter')])))\n", tmp_path)
    with pytest.raises(ConfigTypeError, match=r"model\.rpn_head\.loss_weighter: "
                       r"'BoxWeightedRPNHead' \(.*\) takes no argument 'loss_weighter'; "
                       r"did you mean 'loss_weighters'\?"):
        check_config_types(cfg)
    cfg = _cfg(f"_base_ = '{QUICKSTART}'\nmodel = dict(rpn_head=dict(type='BoxWeightedRPNHead', "
               "loss_weighters=dict(cls=[dict(type='PLBWeighter', mean_scop='image')])))\n",
               tmp_path)
    with pytest.raises(ConfigTypeError, match=r"model\.rpn_head\.loss_weighters\.cls\[0\]\."
                       r"mean_scop: 'PLBWeighter' .* did you mean 'mean_scope'\?"):
        check_config_types(cfg)
    # the same keys, spelt right, pass
    check_config_types(_cfg(
        f"_base_ = '{QUICKSTART}'\nmodel = dict(rpn_head=dict(type='BoxWeightedRPNHead', "
        "loss_weighters=dict(cls=[dict(type='PLBWeighter', mean_scope='image')])))\n", tmp_path))


def test_type_with_no_close_match_names_the_path(tmp_path):
    cfg = _cfg(f"_base_ = '{QUICKSTART}'\nmodel = dict(neck=dict(type='Zzyzx'))\n", tmp_path)
    with pytest.raises(ConfigTypeError, match=r"model\.neck = 'Zzyzx' is not registered in any "
                       r"mmdet/plb_mm registry \(searched: .*MODELS.*\)\."):
        check_config_types(cfg)
