"""Diffusion time to a vector: sinusoidal features, then a two-layer MLP (as DiT's
``TimestepEmbedder``)."""
import math

import torch
from torch import nn

from vitok_mm.registry import MODELS

from .linear import Linear


def timestep_features(t: torch.Tensor, dim: int, max_period: float = 10000.0) -> torch.Tensor:
    """``[cos(t w), sin(t w)]`` with ``w_i = max_period^(-i / (dim/2))``, float32.

    Shapes: ``t (N,)`` (any real values, e.g. timestep indices 0..999) -> ``(N, dim)``.
    """
    if dim % 2:
        raise ValueError(f'timestep features need an even width, got {dim}.')
    half = dim // 2
    freqs = torch.exp(-math.log(max_period) *
                      torch.arange(half, dtype=torch.float32, device=t.device) / half)
    angles = t.float()[:, None] * freqs[None]
    return torch.cat([angles.cos(), angles.sin()], dim=-1)


@MODELS.register_module()
class TimestepEmbedding(nn.Module):
    """``MLP(sinusoidal(t))``: Linear(``frequency_dim``, dim), SiLU, Linear(dim, dim).

    Shapes: ``t (N,)`` -> ``(N, dim)``.
    """

    def __init__(self, dim: int, frequency_dim: int = 256):
        super().__init__()
        if dim < 1 or frequency_dim < 2 or frequency_dim % 2:
            raise ValueError(f'TimestepEmbedding needs dim >= 1 and an even frequency_dim, '
                             f'got dim={dim}, frequency_dim={frequency_dim}.')
        self.frequency_dim = frequency_dim
        self.mlp = nn.Sequential(Linear(frequency_dim, dim), nn.SiLU(), Linear(dim, dim))
        for layer in (self.mlp[0], self.mlp[2]):
            nn.init.normal_(layer.weight, std=0.02)
            nn.init.zeros_(layer.bias)

    def forward(self, t: torch.Tensor) -> torch.Tensor:
        features = timestep_features(t, self.frequency_dim)
        return self.mlp(features.to(self.mlp[0].weight.dtype))
