"""Generators that model tokenizer latents: a class-conditional DiT (:class:`DiT`) and the
model that trains and samples it (:class:`LatentDiffusion`).

A generator is composed of the same ``layers/`` as the tokenizers (its blocks are the
registered :class:`~vitok_mm.models.layers.AdaLNZeroBlock`); its training objective and
solvers come from ``models/diffusion/``. It trains on cached latents and never imports
the engine.
"""
from .dit import DIT_SIZES, DiT, dit_size
from .latent_diffusion import LatentDiffusion, sample_seed

__all__ = ['DIT_SIZES', 'DiT', 'dit_size', 'LatentDiffusion', 'sample_seed']
