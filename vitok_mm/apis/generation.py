"""Loading a trained latent generator from its config and checkpoint, and the tokenizer
that decodes it, checked against each other (:class:`~vitok_mm.apis.Generator` builds on
these; :mod:`vitok_mm.workflows.sampling` samples into folders)."""
import os.path as osp
from typing import Optional

import torch
from mmengine.config import Config

from vitok_mm.utils.weights import weights_fingerprint

from .inference import load_inference_config

WEIGHTS = ('ema', 'raw')


def is_generator_config(cfg) -> bool:
    """Whether ``cfg``'s model is a latent generator (``LatentDiffusion``)."""
    return cfg.get('model', {}).get('type') == 'LatentDiffusion'


def load_generator(config, checkpoint: str, weights: str = 'ema',
                   device: str = 'cpu') -> torch.nn.Module:
    """A trained ``LatentDiffusion`` in eval mode.

    Args:
        config: a config file, or a loaded ``Config``.
        weights: ``'ema'``: the checkpoint's ``state_dict`` (the EMA weights when the run
            had an ``EMAHook``, which swaps them in at saving); ``'raw'``: the raw weights
            (``ema_state_dict``, or ``state_dict`` when there is no EMA).
    """
    from vitok_mm.models.builder import build_model
    from vitok_mm.utils import load_weights
    if weights not in WEIGHTS:
        raise ValueError(f'weights={weights!r}: choose one of {WEIGHTS}.')
    if not osp.isfile(checkpoint):
        raise FileNotFoundError(f'generator checkpoint {checkpoint} does not exist.')
    cfg = config if isinstance(config, Config) else load_inference_config(config)
    model = build_model(cfg.model)
    load_weights(model, checkpoint, strict=True,
                 keys=('ema_state_dict', 'state_dict') if weights == 'raw' else 'state_dict')
    return model.to(device).eval()


def load_tokenizer(config: str, checkpoint: str, generator: Optional[torch.nn.Module] = None,
                   device: str = 'cpu') -> torch.nn.Module:
    """The tokenizer that decodes a generator's latents, checked against it: its checkpoint
    must be the one the generator's latent statistics were made with (fingerprint), and
    its latents must have the generator's shape."""
    from vitok_mm.models.builder import build_model
    if not osp.isfile(checkpoint):
        raise FileNotFoundError(f'tokenizer checkpoint {checkpoint} does not exist.')
    cfg = load_inference_config(config)
    if generator is not None:
        generator.data_preprocessor.check_fingerprint(
            weights_fingerprint(checkpoint), f'the tokenizer checkpoint {checkpoint}')
    tokenizer = build_model(cfg.model, checkpoint)
    if generator is not None:
        check_latent_shape(generator, tokenizer, cfg, config)
    return tokenizer.to(device).eval()


def check_latent_shape(generator: torch.nn.Module, tokenizer: torch.nn.Module, cfg,
                       source: str, generator_source: str = '') -> None:
    """Raise ``ValueError`` when ``tokenizer`` (built from ``cfg``) makes latents of
    another shape at its ``input_shape`` than ``generator`` was trained on."""
    if cfg is None or 'input_shape' not in cfg or not hasattr(tokenizer, 'latent_info'):
        return
    info = tokenizer.latent_info(tuple(cfg.input_shape))
    shape = (info.channels, *info.grid)
    if shape != tuple(generator.latent_shape):
        raise ValueError(
            f'the tokenizer {source} makes latents {shape} at its input_shape '
            f'{tuple(cfg.input_shape)}, but the generator{generator_source} was trained on '
            f'{tuple(generator.latent_shape)}; use the tokenizer config it was trained with.')


__all__ = ['WEIGHTS', 'check_latent_shape', 'is_generator_config', 'load_generator',
           'load_tokenizer']
