"""Reaching the model inside MMEngine's DDP wrappers."""
from mmengine.model import is_model_wrapper
from torch import nn


def unwrap(module: nn.Module) -> nn.Module:
    """The module inside a DDP-style wrapper (``runner.model``, or a child that
    ``MMSeparateDistributedDataParallel`` wrapped), or ``module`` itself."""
    return module.module if is_model_wrapper(module) else module
