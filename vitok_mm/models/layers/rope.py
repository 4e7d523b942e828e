"""Axial rotary position embedding (RoPE) over 2 (rows, cols) or 3 (time, rows, cols) axes.

Each attention head's channels are taken as ``head_dim / 2`` rotary pairs. The
pairs are shared out between the axes; pair ``i`` of an axis with ``n`` pairs
rotates by ``position * theta ** (-i / n)``. The score between two tokens then
depends only on their offset along each axis, and positions are the integer
indices of the actual token grid, so a model trained on a 16x16 grid runs on a
32x32 one.

When the pairs do not divide evenly, the spatial axes (the last ones) get one
more pair each: a 64-dim head (S and B) splits as 16+16 pairs for images and
10+11+11 (time, rows, cols) for video; a 72-dim head (L) as 18+18 and 12+12+12.
"""
import math
from typing import Optional, Sequence, Tuple

import torch
from torch import nn

from .tracing import arange_like, grid_positions

#: Fewer pairs than this per axis leaves an axis with only the fastest
#: frequency, whose angle wraps every ~6 tokens: positions become ambiguous.
MIN_PAIRS_PER_AXIS = 2


def split_rotary_pairs(head_dim: int, num_axes: int) -> Tuple[int, ...]:
    """Number of rotary pairs given to each axis (time first, cols last).

    Raises:
        ValueError: ``head_dim`` is odd, or too small to give every axis
            :data:`MIN_PAIRS_PER_AXIS` pairs.
    """
    if num_axes not in (1, 2, 3):
        raise ValueError(f'Rotary embedding supports 1, 2 or 3 axes, got {num_axes}.')
    if head_dim % 2:
        raise ValueError(
            f'head_dim={head_dim} is odd: rotary embedding rotates channel pairs, so the '
            'head dimension (width / num_heads) must be even. Change width or num_heads.')
    pairs = head_dim // 2
    if pairs < MIN_PAIRS_PER_AXIS * num_axes:
        raise ValueError(
            f'head_dim={head_dim} is too small for {num_axes}D rotary embedding: each axis '
            f'needs at least {MIN_PAIRS_PER_AXIS} rotary pairs, so head_dim must be >= '
            f'{2 * MIN_PAIRS_PER_AXIS * num_axes}. Use fewer heads or a wider model.')
    base, extra = divmod(pairs, num_axes)
    return tuple(base + (1 if axis >= num_axes - extra else 0) for axis in range(num_axes))


def apply_rotary(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """Rotate the channel pairs of ``x`` by the angles whose cos/sin are given.

    Shapes: ``x (..., L, head_dim)``, ``cos/sin (L, head_dim / 2)`` -> like ``x``; for
    ``x (N, H, L, head_dim)`` also per-input tables ``(N, L, head_dim / 2)`` (a packed
    batch). Computed in float32 (bf16 angles lose the position information of far
    tokens) and returned in ``x``'s dtype.
    """
    if cos.ndim == 3:  # (N, L, pairs): one table per input, shared by the heads
        cos, sin = cos[:, None], sin[:, None]
    pairs = x.float().unflatten(-1, (-1, 2))
    x1, x2 = pairs[..., 0], pairs[..., 1]
    rotated = torch.stack((x1 * cos - x2 * sin, x1 * sin + x2 * cos), dim=-1)
    return rotated.flatten(-2).type_as(x)


class RotaryEmbedding(nn.Module):
    """Cos/sin tables of axial RoPE for a token grid.

    Args:
        head_dim: channels per attention head (even).
        num_axes: 2 for images (rows, cols), 3 for video (time, rows, cols).
        theta: base of the frequency ladder.
        axes_pairs: rotary pairs per axis, overriding :func:`split_rotary_pairs`;
            must sum to ``head_dim / 2``.

    ``forward(grid)`` with ``grid = (h, w)`` or ``(t, h, w)`` returns
    ``(cos, sin)``, each ``(prod(grid), head_dim / 2)`` in float32, tokens in
    row-major (t, h, w) order, the order of :class:`PatchEmbed`'s tokens.

    The tables are computed at every call from the grid's sizes (a few thousand sines:
    nothing next to a block), with nothing cached and no size turned into a Python int,
    so a traced or exported tower takes its grid from its input
    (:mod:`~vitok_mm.models.layers.tracing`).
    """

    def __init__(self, head_dim: int, num_axes: int, theta: float = 10000.0,
                 axes_pairs: Optional[Sequence[int]] = None):
        super().__init__()
        if axes_pairs is None:
            axes_pairs = split_rotary_pairs(head_dim, num_axes)
        elif len(axes_pairs) != num_axes or sum(axes_pairs) * 2 != head_dim:
            raise ValueError(
                f'axes_pairs={tuple(axes_pairs)} must have {num_axes} entries summing to '
                f'head_dim / 2 = {head_dim // 2}.')
        self.head_dim = head_dim
        self.num_axes = num_axes
        self.theta = theta
        self.axes_pairs = tuple(int(p) for p in axes_pairs)

    def axis_frequencies(self, device=None,
                         like: Optional[torch.Tensor] = None) -> Tuple[torch.Tensor, ...]:
        """Angular frequency of each pair, one float32 tensor per axis (on ``like``'s
        device when given, made from it: see :func:`~.tracing.arange_like`)."""
        if like is None:
            like = torch.zeros((), device=device)
        return tuple(self.theta ** (-arange_like(like, n) / n) for n in self.axes_pairs)

    def forward(self, grid: Sequence[int], device=None,
                like: Optional[torch.Tensor] = None) -> Tuple[torch.Tensor, torch.Tensor]:
        """The tables of ``grid`` on ``device``, or on the device of ``like`` (a tensor
        of ``prod(grid)`` elements, e.g. ``tokens[0, :, 0]``: what a traced tower passes,
        so that the grid comes from its input)."""
        grid = tuple(grid)
        if len(grid) != self.num_axes:
            raise ValueError(
                f'RotaryEmbedding was built for {self.num_axes} axes but got a grid {grid}.')
        if like is None:
            like = torch.zeros(math.prod(int(g) for g in grid), device=device)
        angles = torch.cat([
            pos.reshape(-1, 1) * freq[None, :]
            for pos, freq in zip(grid_positions(like, grid), self.axis_frequencies(like=like))
        ], dim=-1)
        return angles.cos(), angles.sin()

    def at(self, positions: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """Tables for tokens at given grid positions: ``positions (N, L, num_axes)``
        (integer coordinates, e.g. each token's row and column in its own image) ->
        ``(cos, sin)``, each ``(N, L, head_dim / 2)`` in float32; equal to
        :meth:`forward`'s rows for the positions of a full grid."""
        if positions.shape[-1] != self.num_axes:
            raise ValueError(f'RotaryEmbedding was built for {self.num_axes} axes but got '
                             f'positions of shape {tuple(positions.shape)}.')
        positions = positions.float()
        angles = torch.cat([
            positions[..., axis:axis + 1] * freq
            for axis, freq in enumerate(self.axis_frequencies(like=positions))], dim=-1)
        return angles.cos(), angles.sin()

    def extra_repr(self) -> str:
        return f'head_dim={self.head_dim}, axes_pairs={self.axes_pairs}, theta={self.theta}'
