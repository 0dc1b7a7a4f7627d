from typing import Any, Optional


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


def find_num_classes(cfg: Any) -> Optional[int]:
    """The first ``num_classes`` inside a (model) config, None if it has none."""
    if isinstance(cfg, dict):
        if 'num_classes' in cfg:
            return cfg['num_classes']
        values = cfg.values()
    elif isinstance(cfg, list):
        values = cfg
    else:
        return None
    for v in values:
        n = find_num_classes(v)
        if n is not None:
            return n
    return None
