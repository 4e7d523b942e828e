"""Absolute position embeddings (optional; ViTok's default is RoPE alone)."""
import math
from typing import Optional, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from .tracing import arange_like, grid_positions, is_tracing

ABS_POS_EMBED_TYPES = (None, 'learned', 'sincos')


def sincos_position_embedding(grid: Sequence[int], dim: int, temperature: float = 10000.0,
                              device=None, like: Optional[torch.Tensor] = None) -> torch.Tensor:
    """Fixed sin-cos embedding of a token grid, ``(prod(grid), dim)`` in float32, on
    ``device`` or on the device of ``like`` (a tensor of ``prod(grid)`` elements, so that a
    traced tower takes the grid from its input).

    The width is split between the axes (each part a multiple of 2; the last
    axes get the remainder), each axis embedded like the 1D transformer one.
    """
    if like is None:
        like = torch.zeros(math.prod(int(g) for g in grid), device=device)
    return sincos_at(torch.stack(grid_positions(like, grid), dim=-1), dim, temperature)


def sincos_at(positions: torch.Tensor, dim: int, temperature: float = 10000.0) -> torch.Tensor:
    """The sin-cos embedding of tokens at integer grid ``positions (..., axes)``:
    ``(..., dim)`` float32, the rows :func:`sincos_position_embedding` gives them."""
    num_axes = positions.shape[-1]
    if dim % (2 * num_axes):
        raise ValueError(
            f'sincos position embedding needs the width ({dim}) to be divisible by '
            f'2 x {num_axes} axes.')
    per_axis = dim // num_axes
    omega = 1.0 / temperature ** (arange_like(positions, per_axis // 2) / (per_axis // 2))
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
        if len(grid) != len(self.base_grid):
            raise ValueError(
                f'position embedding learned for a {len(self.base_grid)}-axis grid '
                f'{self.base_grid} cannot be applied to grid {tuple(grid)}.')
        table = self.weight
        # Traced, the grid is not a number: always resample (at the base grid, bicubic and
        # trilinear resampling with align_corners=False is the identity).
        grid = tuple(grid) if is_tracing() else tuple(int(g) for g in grid)
        if is_tracing() or grid != self.base_grid:
            mode = 'bicubic' if len(grid) == 2 else 'trilinear'
            table = F.interpolate(table, size=grid, mode=mode, align_corners=False)
        return table.flatten(2)[0].transpose(0, 1)
