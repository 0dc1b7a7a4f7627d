"""Checks that turn a config mistake into an error naming the type, where it
sits in the config and the registry it belongs to."""
import difflib
import inspect
from typing import Dict, Iterator, List, Optional, Set, Tuple

from mmengine.config import Config

# Dicts whose ``type`` is not a registry key (mmcv op names, eval'd or getattr'd).
NON_REGISTRY_PARENTS = ('nms', 'roi_layer')


class ConfigTypeError(KeyError):
    """A ``type`` in a config that no registry holds, a plb_mm type used
    without importing plb_mm, or an argument the type does not take."""

    def __str__(self):  # KeyError would print the message quoted
        return self.args[0]


# Sections whose dicts are built as ``Type(**other_keys)``; elsewhere (optim
# wrappers, schedulers, init_cfg) builders pop keys of their own first.
KWARG_CHECKED_ROOTS = ('model', )
# Keys the parent fills in or pops before building the child.
_FILLED_BY_PARENT = {'type', '_scope_', 'train_cfg', 'test_cfg', 'init_cfg'}
# Preferred registries per config root when a name is in several.
_PREFERRED = {'model': ('MODELS', 'TASK_UTILS')}


def accepted_kwargs(cls: type) -> Optional[Set[str]]:
    """The keyword arguments ``cls(**kw)`` accepts, following ``**kwargs``
    up the MRO (``super().__init__(**kwargs)``, mmdet's convention); None
    when the chain stays open to any name."""
    names: Set[str] = set()
    for klass in cls.__mro__:
        init = klass.__dict__.get('__init__')
        if init is None:
            continue
        try:
            params = inspect.signature(init).parameters.values()
        except (TypeError, ValueError):
            return None
        names |= {p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
        if not any(p.kind is p.VAR_KEYWORD for p in params):
            names.discard('self')
            return names
    return None


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


def config_types(obj, path='') -> Iterator[Tuple[str, str, dict]]:
    """``(config key, type, dict)`` of every dict with a ``type`` under
    ``obj`` (keys as ``model.backbone.init_cfg``, ``[i]`` for list items);
    mmcv op names under ``nms`` / ``roi_layer`` are skipped."""
    if isinstance(obj, dict):
        t = obj.get('type')
        if isinstance(t, str) and path.rsplit('.', 1)[-1] not in NON_REGISTRY_PARENTS:
            yield path, t, obj
        for k, v in obj.items():
            yield from config_types(v, f'{path}.{k}' if path else str(k))
    elif isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            yield from config_types(v, f'{path}[{i}]')


def check_config_types(cfg: Config) -> None:
    """Raise :class:`ConfigTypeError` for

    - a type registered by plb_mm in a config that does not import plb_mm
      (``custom_imports = dict(imports=['plb_mm'], allow_failed_imports=False)``):
      other entry points (mmdet's tools, inference scripts) would not find it;
    - a type found in no registry that is a near miss of a registered one
      (a typo), with the suggestion and its registry.

    - a type found in no registry at all (the nearest names, if any);
    - under ``model``, an argument the type does not take (e.g.
      ``loss_weighter`` for ``loss_weighters``), with the close match.

    Every error names the config file and the path in it
    (``model.rpn_head.loss_weighter``). The config's ``custom_imports`` are
    imported first, so types they register are known. Types scoped to another
    package (``mmpretrain.ConvNeXt``) are left to mmengine.
    """
    custom = cfg.get('custom_imports') or {}
    if custom.get('imports'):
        from mmengine.utils import import_modules_from_strings
        import_modules_from_strings(**custom)
    regs = {name: _names(reg) for name, reg in _registries().items()}
    imports = custom.get('imports', [])
    imports = [imports] if isinstance(imports, str) else list(imports)
    has_plb = any(m == 'plb_mm' or m.startswith('plb_mm.') for m in imports)
    scoped = {f'{reg_name}': reg for reg_name, reg in _registries().items()}
    for path, t, obj in config_types(cfg.to_dict()):
        scope = t.split('::')[0] if '::' in t else (t.split('.')[0] if '.' in t else 'mmdet')
        if scope not in ('mmdet', 'mmengine'):
            continue
        short = t.split('.')[-1] if '::' not in t else t.split('::')[-1]
        found = [(rn, names[short]) for rn, names in regs.items() if short in names]
        if found:
            _check_kwargs(cfg, path, t, obj, found)
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
        loose = sorted({m for names in regs.values()
                        for m in difflib.get_close_matches(short, names.keys(), n=3, cutoff=0.6)})
        hint = f" The nearest names: {', '.join(loose[:5])}." if loose else ''
        raise ConfigTypeError(
            f"{cfg.filename}: {path} = '{t}' is not registered in any mmdet/plb_mm registry "
            f"(searched: {', '.join(sorted(regs))}).{hint} If it comes from another package, "
            f"import that package in custom_imports.")


def _check_kwargs(cfg: Config, path: str, t: str, obj: dict, found) -> None:
    root = path.split('.')[0].split('[')[0]
    # `*_cfg` dicts (norm_cfg, act_cfg, conv_cfg, init_cfg, ...) go through
    # builders that pop keys of their own (e.g. norm_cfg's requires_grad).
    if root not in KWARG_CHECKED_ROOTS or any(
            part.split('[')[0].endswith(('_cfg', '_cfgs')) for part in path.split('.')[1:]):
        return
    preferred = [c for rn, c in found if rn in _PREFERRED.get(root, ())] or [found[0][1]]
    cls = preferred[0]
    if not inspect.isclass(cls):
        return
    accepted = accepted_kwargs(cls)
    if accepted is None:
        return
    for key in obj:
        if key in accepted or key in _FILLED_BY_PARENT:
            continue
        close = difflib.get_close_matches(key, sorted(accepted), n=1, cutoff=0.6)
        hint = f"; did you mean '{close[0]}'?" if close else \
            f"; it takes: {', '.join(sorted(accepted))}"
        raise ConfigTypeError(f"{cfg.filename}: {path}.{key}: '{t}' ({cls.__module__}."
                              f"{cls.__name__}) takes no argument '{key}'{hint}")
