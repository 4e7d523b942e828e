"""A model from its config (and weights) outside a runner: for inference, for the
tokenizer a generator decodes with, for tools that only need the network."""
from typing import Optional, Union

import torch
from mmengine.config import Config, ConfigDict
from mmengine.registry import DefaultScope
from torch import nn

from vitok_mm.registry import MODELS


def build_model(cfg: Union[dict, ConfigDict, Config],
                checkpoint: Optional[str] = None) -> nn.Module:
    """``MODELS.build`` of ``cfg`` (a model config, or a whole config: its ``model``) on
    the CPU in eval mode, with ``checkpoint``'s weights loaded strictly.

    Raises:
        FileNotFoundError: no file at ``checkpoint``.
        vitok_mm.utils.CheckpointError: the file is no checkpoint, or its keys or shapes
            do not fit the model.
    """
    from vitok_mm.utils import load_weights
    if isinstance(cfg, Config) or 'model' in cfg and 'type' not in cfg:
        cfg = cfg['model']
    # Bare type names resolve in vitok_mm's registries whatever scope the caller is in.
    with DefaultScope.overwrite_default_scope('vitok_mm'):
        model = MODELS.build(cfg).eval()
    if checkpoint:
        load_weights(model, checkpoint, strict=True)
    return model


def load_model(cfg: Union[dict, ConfigDict, Config], weights: Optional[str] = None,
               dtype: Optional[torch.dtype] = None) -> nn.Module:
    """``cfg``'s model in eval mode with ``weights`` (strictly), floating point in ``dtype``.

    Safetensors weights are memory-mapped and become the model's parameters as they are
    (built on the meta device, so its random initialisation never takes memory), read
    and converted tensor by tensor only where their dtype is not ``dtype``: one copy of
    the weights at most, which is what lets a 5B model load in bf16 on a 24 GB machine.
    Other checkpoints load as in :func:`build_model`.

    Raises:
        FileNotFoundError: no file at ``weights``.
        vitok_mm.utils.CheckpointError: the file is no checkpoint, or its keys or shapes
            do not fit the model (naming the file).
        ValueError: the file is no safetensors file, or is cut short.
    """
    if not (weights and weights.endswith('.safetensors')):
        model = build_model(cfg, weights)
        return model.to(dtype) if dtype is not None else model
    from vitok_mm.utils.checkpoint import check_state_fits
    from vitok_mm.utils.safetensors_io import load_safetensors
    if isinstance(cfg, Config) or 'model' in cfg and 'type' not in cfg:
        cfg = cfg['model']
    state = load_safetensors(weights, dtype)
    with DefaultScope.overwrite_default_scope('vitok_mm'), torch.device('meta'):
        model = MODELS.build(cfg).eval()
    check_state_fits(model, state, weights)
    model.load_state_dict(state, strict=True, assign=True)
    if any(t.is_meta for t in list(model.parameters()) + list(model.buffers())):
        # Buffers computed at construction and not saved (persistent=False) stayed on
        # the meta device: build the model for real and copy the weights in.
        model = build_model(cfg)
        model.load_state_dict(state, strict=True)
        model = model.to(dtype) if dtype is not None else model
    return model
