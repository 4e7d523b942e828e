"""A model from its config (and weights) outside a runner: for inference, for the
tokenizer a generator decodes with, for tools that only need the network."""
from typing import Optional, Union

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
