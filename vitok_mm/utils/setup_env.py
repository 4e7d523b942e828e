"""Make every vitok_mm component known to the registries, for scripts."""
import datetime
import warnings

from mmengine import DefaultScope


def register_all_modules(init_default_scope: bool = True) -> None:
    """Import every vitok_mm package that registers components.

    Configs with ``default_scope = 'vitok_mm'`` do not need this (the registries
    import lazily through their ``locations``); scripts that call
    ``MODELS.build`` directly do.

    Args:
        init_default_scope: also make ``vitok_mm`` the current default scope, so
            that a bare type name such as ``'ViTok'`` resolves to our registry.
    """
    import vitok_mm.datasets  # noqa: F401
    import vitok_mm.engine  # noqa: F401
    import vitok_mm.evaluation  # noqa: F401
    import vitok_mm.models  # noqa: F401
    import vitok_mm.visualization  # noqa: F401

    if not init_default_scope:
        return
    current = DefaultScope.get_current_instance()
    if current is None or current.scope_name != 'vitok_mm':
        if current is not None:
            warnings.warn(
                f'The current default scope "{current.scope_name}" is not "vitok_mm"; '
                'register_all_modules creates a new default scope named '
                '"vitok_mm-<timestamp>".', stacklevel=2)
            name = f'vitok_mm-{datetime.datetime.now()}'
        else:
            name = 'vitok_mm'
        DefaultScope.get_instance(name, scope_name='vitok_mm')
