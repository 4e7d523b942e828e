"""Building a layer from its config, with the values its owner decides filled in.

A tower builds its blocks, and a block its attention, MLP and norms, from configs
(``dict(type=..., **options)``) looked up in :data:`vitok_mm.registry.MODELS`, the
way timm's ``Block`` takes ``attn_layer``, ``mlp_layer`` and ``norm_layer``. The
owner fills in what only it knows (a block's width and heads); options the user
gave as shorthands on the owner are merged in too.
"""
import copy
from typing import Any, Dict, Iterable, Optional

from torch import nn

from vitok_mm.registry import MODELS


def layer_config(cfg: Any, role: str, fixed: Optional[Dict[str, Any]] = None,
                 defaults: Optional[Dict[str, Any]] = None,
                 known: Iterable[str] = ()) -> dict:
    """A copy of ``cfg`` with the owner's values merged in, checked before anything is built.

    Args:
        cfg: a dict with a ``type`` (a registered name or a class).
        role: what the layer is in its owner (``'block'``, ``'attn'``, ``'mlp'``,
            ``'norm'``), for the error messages.
        fixed: values the owner decides; ``None`` values are skipped (an unset
            shorthand). The config may repeat a value but not contradict it.
        defaults: values the config may override (e.g. a tower's ``mlp_ratio``).
        known: the built-in type names of this role, listed when ``type`` is unknown.

    Raises:
        ValueError: ``cfg`` is no dict with a ``type``, its type is not registered, or
            it sets a fixed value to something else.
    """
    if not isinstance(cfg, dict) or 'type' not in cfg:
        raise ValueError(
            f'{role} must be a config dict with a "type" key, e.g. '
            f"{role}=dict(type={_example(known)!r}); got {cfg!r}.")
    cfg = copy.deepcopy(dict(cfg))
    layer_type = cfg['type']
    if isinstance(layer_type, str):
        found = MODELS.get(layer_type)
        if found is None:
            raise ValueError(
                f'Unknown {role} type {layer_type!r}: it is not registered in '
                f'vitok_mm.registry.MODELS{_built_in(known)}. Register your own with '
                '@MODELS.register_module() in a module the config imports '
                "(custom_imports = dict(imports=['my_module'])).")
        if '.' not in layer_type and layer_type not in MODELS.module_dict:
            # An unscoped name MODELS only inherits from MMEngine's root registry (mmcv's
            # 'LN', 'GELU', 'FFN', ...) is almost always a mix-up: those layers do not take
            # the dim/num_heads a tower fills in.
            raise ValueError(
                f'{role} type {layer_type!r} is not a vitok_mm layer: it resolves to '
                f'{found.__module__}.{found.__qualname__} in MMEngine\'s root registry, which '
                f'does not take the arguments a vitok_mm {role} is given{_built_in(known)}. '
                'Use a vitok_mm layer, register one with @MODELS.register_module(), or name '
                "another project's layer with its scope ('scope.Type').")
    for key, value in (fixed or {}).items():
        if value is None:
            continue
        if key in cfg and cfg[key] != value:
            raise ValueError(
                f'the {role} config {cfg!r} sets {key}={cfg[key]!r}, but its owner sets '
                f'{key}={value!r}; give {key} in one place only.')
        cfg[key] = value
    for key, value in (defaults or {}).items():
        cfg.setdefault(key, value)
    return cfg


def build_layer(cfg: Any, role: str, fixed: Optional[Dict[str, Any]] = None,
                defaults: Optional[Dict[str, Any]] = None, known: Iterable[str] = ()) -> nn.Module:
    """``MODELS.build`` of :func:`layer_config`'s result (same arguments)."""
    return MODELS.build(layer_config(cfg, role, fixed, defaults, known))


def shorthand_config(role: str, what: str, shorthand: Optional[str], cfg: Any,
                     table: Dict[str, str], default: str) -> Any:
    """The layer config meant by a ``<role>_type`` shorthand or a ``<role>`` config (at
    most one); neither: the ``default`` shorthand's. ``table`` maps shorthands to
    registered type names; ``what`` names the layer in messages (``'MLP'``, ``'norm'``).

    Raises:
        ValueError: both are given, or the shorthand is not in ``table``.
    """
    if cfg is not None:
        if shorthand is not None:
            raise ValueError(
                f'{role}_type={shorthand!r} and {role}={cfg!r} both set the {what}; keep one '
                f'({role}=dict(type=...) for a configured {what}, {role}_type for a shorthand).')
        # A non-dict goes on as it is: layer_config rejects it with the fix.
        return dict(cfg) if isinstance(cfg, dict) else cfg
    shorthand = default if shorthand is None else shorthand
    if shorthand not in table:
        raise ValueError(
            f'Unknown {role}_type {shorthand!r}; choose one of {tuple(table)} or give '
            f'{role}=dict(type=...) with a registered {what}.')
    return dict(type=table[shorthand])


def _example(known: Iterable[str]) -> str:
    known = tuple(known)
    return known[0] if known else 'MyLayer'


def _built_in(known: Iterable[str]) -> str:
    known = tuple(known)
    return f' (built-in: {", ".join(known)})' if known else ''
