"""Absolute position embeddings (optional; ViTok's default is RoPE alone)."""
from typing import Sequence

import torch
import torch.nn.functional as F
from torch import nn

ABS_POS_EMBED_TYPES = (None, 'learned', 'sincos')


def sincos_position_embedding(grid: Sequence[int], dim: int, temperature: float = 10000.0,
                              device=None) -> torch.Tensor:
    """Fixed sin-cos embedding of a token grid, ``(prod(grid), dim)`` in float32.

    The width is split between the axes (each part a multiple of 2; the last
    axes get the remainder), each axis embedded like the 1D transformer one.
    """
    positions = torch.meshgrid(
        *[torch.arange(n, device=device, dtype=torch.float32) for n in grid], indexing='ij')
    return sincos_at(torch.stack([p.reshape(-1) for p in positions], dim=-1), dim, temperature)


def sincos_at(positions: torch.Tensor, dim: int, temperature: float = 10000.0) -> torch.Tensor:
    """The sin-cos embedding of tokens at integer grid ``positions (..., axes)``:
    ``(..., dim)`` float32, the rows :func:`sincos_position_embedding` gives them."""
    num_axes = positions.shape[-1]
    if dim % (2 * num_axes):
        raise ValueError(
            f'sincos position embedding needs the width ({dim}) to be divisible by '
            f'2 x {num_axes} axes.')
    per_axis = dim // num_axes
    omega = 1.0 / temperature ** (torch.arange(per_axis // 2, device=positions.device,
                                               dtype=torch.float32) / (per_axis // 2))
    parts = []
    for axis in range(num_axes):
        angles = positions[..., axis:axis + 1].float() * omega
        parts += [angles.sin(), angles.cos()]
    return torch.cat(parts, dim=-1)


class LearnedPositionEmbedding(nn.Module):
    """A learned table for ``base_grid``, resampled (bi/trilinear) for other grids.

    Shapes: ``forward(grid) -> (prod(grid), dim)``.
    """

    def __init__(self, base_grid: Sequence[int], dim: int):
        super().__init__()
        self.base_grid = tuple(int(g) for g in base_grid)
        if len(self.base_grid) not in (2, 3):
            raise ValueError(f'base_grid must have 2 or 3 axes, got {self.base_grid}.')
        self.weight = nn.Parameter(torch.zeros(1, dim, *self.base_grid))
        nn.init.trunc_normal_(self.weight, std=0.02)

    def forward(self, grid: Sequence[int]) -> torch.Tensor:
        grid = tuple(int(g) for g in grid)
        if len(grid) != len(self.base_grid):
            raise ValueError(
                f'position embedding learned for a {len(self.base_grid)}-axis grid '
                f'{self.base_grid} cannot be applied to grid {grid}.')
        table = self.weight
        if grid != self.base_grid:
            mode = 'bicubic' if len(grid) == 2 else 'trilinear'
            table = F.interpolate(table, size=grid, mode=mode, align_corners=False)
        return table.flatten(2)[0].transpose(0, 1)
