"""``VitokRunner``: kept so that configs and saved work dirs naming it still build."""
from mmengine.runner import Runner

from vitok_mm.registry import RUNNERS


@RUNNERS.register_module()
class VitokRunner(Runner):
    """MMEngine's ``Runner``, unchanged.

    It used to carry vitok_mm's run features; they now live where every runner keeps
    them (``FlexibleRunner`` with FSDP included): atomic saves and random states in
    :class:`~vitok_mm.engine.hooks.CheckpointHook` / ``RandomStateHook``, LR scaling
    by the global batch in :class:`~vitok_mm.engine.ResumableIterBasedTrainLoop`, the
    non-finite guard in :class:`~vitok_mm.engine.GuardedOptimWrapper`, and resume
    resolution and CPU DDP in :func:`vitok_mm.apis.load_config` / ``build_runner``.
    """
