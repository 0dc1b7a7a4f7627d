from typing import Any


def set_num_classes(cfg: Any, num_classes: int) -> None:
    """Set every ``num_classes`` inside a (model) config, in place: re-targets a
    config's heads to another data set (tests, benchmarks)."""
    if isinstance(cfg, dict):
        for k, v in cfg.items():
            if k == 'num_classes':
                cfg[k] = num_classes
            else:
                set_num_classes(v, num_classes)
    elif isinstance(cfg, list):
        for v in cfg:
            set_num_classes(v, num_classes)
