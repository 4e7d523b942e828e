"""Deterministic (plain auto-encoder) bottleneck."""
from typing import Optional, Sequence

import torch
from torch import nn

from vitok_mm.registry import MODELS

from ..layers.linear import Linear


class DeterministicLatent:
    """A point latent with the posterior interface: sample and mode are the latent, KL is 0."""

    def __init__(self, latent: torch.Tensor):
        self.mean = latent

    @property
    def shape(self) -> torch.Size:
        return self.mean.shape

    def sample(self, generator: Optional[torch.Generator] = None) -> torch.Tensor:
        return self.mean

    def mode(self) -> torch.Tensor:
        return self.mean

    def kl(self) -> torch.Tensor:
        return self.mean.new_zeros(self.mean.shape[0], dtype=torch.float32)


@MODELS.register_module()
class DeterministicBottleneck(nn.Module):
    """Tokens -> ``latent_channels`` per token by a linear layer, optionally LayerNorm-ed.

    ``norm=True`` adds a LayerNorm without affine parameters over the c channels, which
    keeps the latent's scale fixed for a generator trained on it; ``norm_eps`` is its
    epsilon (PyTorch's 1e-5 by default; ViTok-v2 uses 1e-6, which alone moves its latents
    by about 2e-3). The norm runs in float32 under autocast.

    Shapes: ``tokens (N, L, in_channels)``, ``grid`` -> :class:`DeterministicLatent`
    over ``(N, c, *grid)``.
    """

    def __init__(self, in_channels: int, latent_channels: int, norm: bool = False,
                 norm_eps: float = 1e-5):
        super().__init__()
        if latent_channels < 1:
            raise ValueError(f'latent_channels must be >= 1, got {latent_channels}.')
        self.in_channels = in_channels
        self.latent_channels = latent_channels
        self.proj = Linear(in_channels, latent_channels)
        self.norm = (nn.LayerNorm(latent_channels, eps=norm_eps, elementwise_affine=False)
                     if norm else nn.Identity())

    def forward(self, tokens: torch.Tensor, grid: Sequence[int]) -> DeterministicLatent:
        latent = self.norm(self.proj(tokens))
        return DeterministicLatent(latent.transpose(1, 2).unflatten(2, tuple(grid)))
