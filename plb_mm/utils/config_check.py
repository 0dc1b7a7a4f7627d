"""Checks that turn a config mistake into an error naming the type, where it
sits in the config and the registry it belongs to."""
import difflib
from typing import Dict, Iterator, List, Tuple

from mmengine.config import Config

# Dicts whose ``type`` is not a registry key (mmcv op names, eval'd or getattr'd).
NON_REGISTRY_PARENTS = ('nms', 'roi_layer')


class ConfigTypeError(KeyError):
    """A ``type`` in a config that no registry holds, or a plb_mm type used
    without importing plb_mm."""

    def __str__(self):  # KeyError would print the message quoted
        return self.args[0]


def _registries() -> Dict[str, object]:
    import mmdet.registry as R
    from mmdet.utils import register_all_modules
    from mmengine.registry import Registry
    register_all_modules(init_default_scope=False)  # mmdet registers lazily
    return {name: reg for name, reg in vars(R).items() if isinstance(reg, Registry)}


def _names(reg) -> Dict[str, type]:
    names = {}
    while reg is not None:
        for k, v in reg.module_dict.items():
            names.setdefault(k, v)
        reg = reg.parent
    return names


def _types(obj, path='') -> Iterator[Tuple[str, str]]:
    if isinstance(obj, dict):
        t = obj.get('type')
        if isinstance(t, str) and path.rsplit('.', 1)[-1] not in NON_REGISTRY_PARENTS:
            yield path, t
        for k, v in obj.items():
            yield from _types(v, f'{path}.{k}' if path else str(k))
    elif isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            yield from _types(v, f'{path}[{i}]')


def check_config_types(cfg: Config) -> None:
    """Raise :class:`ConfigTypeError` for

    - a type registered by plb_mm in a config that does not import plb_mm
      (``custom_imports = dict(imports=['plb_mm'], allow_failed_imports=False)``):
      other entry points (mmdet's tools, inference scripts) would not find it;
    - a type found in no registry that is a near miss of a registered one
      (a typo), with the suggestion and its registry.

    Unknown types with no near miss are left to mmengine, whose error at build
    time names the registry that was searched.
    """
    regs = {name: _names(reg) for name, reg in _registries().items()}
    imports = (cfg.get('custom_imports') or {}).get('imports', [])
    imports = [imports] if isinstance(imports, str) else list(imports)
    has_plb = any(m == 'plb_mm' or m.startswith('plb_mm.') for m in imports)
    scoped = {f'{reg_name}': reg for reg_name, reg in _registries().items()}
    for path, t in _types(cfg.to_dict()):
        short = t.split('.')[-1] if '::' not in t else t.split('::')[-1]
        found = [(rn, names[short]) for rn, names in regs.items() if short in names]
        if found:
            plb = [(rn, c) for rn, c in found if c.__module__.startswith('plb_mm')]
            if plb and not has_plb:
                rn = plb[0][0]
                raise ConfigTypeError(
                    f"{cfg.filename}: {path} = '{t}' is plb_mm's type in registry "
                    f"'{scoped[rn].scope}::{scoped[rn].name}', but the config does not "
                    f"import plb_mm; add custom_imports = dict(imports=['plb_mm'], "
                    f"allow_failed_imports=False)")
            continue
        close: List[Tuple[str, str]] = []
        for rn, names in regs.items():
            for m in difflib.get_close_matches(short, names.keys(), n=2, cutoff=0.85):
                close.append((m, f'{scoped[rn].scope}::{scoped[rn].name}'))
        if close:
            hint = ', '.join(f"'{m}' (registry '{r}')" for m, r in close[:3])
            raise ConfigTypeError(
                f"{cfg.filename}: {path} = '{t}' is not registered in any mmdet/plb_mm "
                f"registry; did you mean {hint}?")
