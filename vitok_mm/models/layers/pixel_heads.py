"""Pixel heads that tie neighbouring patches together.

The paper's :class:`~.patch_embed.PixelHead` maps each token to its own p x p patch with
one linear layer: nothing ties a patch to its neighbours, so small errors of each
token's output show as steps along the patch grid. Three registered alternatives, each
selected with ``decoder=dict(pixel_head=dict(type=...))``:

- :class:`OverlapPixelHead`: each token predicts a larger patch that overlaps its
  neighbours by ``overlap`` pixels on each side; overlaps are blended with a tent window.
- :class:`ConvRefinePixelHead`: the plain head, then a small residual convolution stack
  over the unpatchified image (zero-initialised: it starts as the plain head).
- :class:`BorderSmoothPixelHead`: the plain head, then a fixed [1, 2, 1] blur applied
  only to the pixels on either side of a patch border (no parameters).

All keep ``proj`` as the linear layer from tokens to pixels (stage 2 balances its losses
at ``proj.weight``) and take the same arguments as ``PixelHead``.
"""
from typing import Optional, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from vitok_mm.registry import MODELS

from .linear import Linear
from .patch_embed import PixelHead, _check_sizes
from .tracing import arange_like


def tent_window(size: int, overlap: int, power: float = 1.0) -> torch.Tensor:
    """``(size,)`` weights rising linearly over the first ``overlap + 1`` pixels and
    falling over the last (a linear cross-fade between neighbours), raised to ``power``:
    above 1 each pixel leans more on its own token's prediction."""
    position = torch.arange(size, dtype=torch.float32)
    ramp = torch.minimum(position + 1, size - position) / (overlap + 1)
    return ramp.clamp(max=1.0) ** power


@MODELS.register_module()
class OverlapPixelHead(nn.Module):
    """Each token predicts a ``(p + 2 overlap)`` square patch centred on its own; the
    patches are blended where they overlap (tent window, normalised) and the image is
    cropped back to the grid.

    ``window_power`` above 1 sharpens the cross-fade (:func:`tent_window`): with overlap
    1 a border pixel takes its neighbour's prediction at weight 0.5 ** power.

    Shapes: ``tokens (N, L, D)`` and ``grid`` -> ``(N, C, H, W)`` or ``(N, C, T, H, W)``
    (the overlap is spatial; a tubelet's frames are predicted as by ``PixelHead``).
    Parameters: ``D x C (p + 2 overlap)^2 q`` weights plus biases.
    """

    def __init__(self, embed_dim: int, patch_size: int, tubelet_size: Optional[int] = None,
                 out_channels: int = 3, overlap: Optional[int] = None,
                 window_power: float = 1.0):
        super().__init__()
        _check_sizes(patch_size, tubelet_size)
        overlap = patch_size // 4 if overlap is None else overlap
        if not (isinstance(overlap, int) and overlap >= 0):
            raise ValueError(f'overlap must be an integer >= 0, got {overlap!r}.')
        self.patch_size, self.tubelet_size = patch_size, tubelet_size
        self.out_channels, self.overlap = out_channels, overlap
        self.kernel = patch_size + 2 * overlap
        self.proj = Linear(embed_dim, out_channels * self.kernel ** 2 * (tubelet_size or 1))
        if window_power <= 0:
            raise ValueError(f'window_power must be positive, got {window_power}.')
        window = tent_window(self.kernel, overlap, window_power)
        self.register_buffer('window', torch.outer(window, window), persistent=False)

    def forward(self, tokens: torch.Tensor, grid: Sequence[int]) -> torch.Tensor:
        p, q, k, c = self.patch_size, self.tubelet_size or 1, self.kernel, self.out_channels
        patches = self.proj(tokens)
        t, h, w = (1, *grid) if self.tubelet_size is None else grid
        # (N, t h w, q k k c) -> (N t q, c k k, h w): fold sums each patch into place.
        # Reshapes and permutes only, the grid as given (sizes or traced values).
        n = patches.shape[0]
        patches = patches.reshape(n, t, h * w, q, k, k, c).permute(0, 1, 3, 6, 4, 5, 2)
        patches = patches.reshape(n * t * q, c, k, k, h * w)
        window = self.window.to(patches.dtype)
        patches = (patches * window[:, :, None]).flatten(1, 3)
        size, pad = (h * p, w * p), self.overlap
        out = F.fold(patches, size, k, padding=pad, stride=p)
        weight = F.fold(window.flatten()[None, :, None].expand(1, -1, h * w), size, k,
                        padding=pad, stride=p)
        out = out / weight
        if self.tubelet_size is None:
            return out
        return out.reshape(n, t, q, c, *size).permute(0, 3, 1, 2, 4, 5).flatten(2, 3)


@MODELS.register_module()
class ConvRefinePixelHead(PixelHead):
    """:class:`PixelHead`, then ``x + conv(act(conv(x)))``-style refinement over the image
    (``depth`` 3x3 convolutions, ``hidden`` channels, GELU), the last one zero-initialised
    so that the head starts as the plain one. For video the convolutions are per frame.

    Parameters: the plain head's plus ``C hidden 9 + hidden^2 9 (depth - 2) + hidden C 9``
    weights and biases.
    """

    def __init__(self, embed_dim: int, patch_size: int, tubelet_size: Optional[int] = None,
                 out_channels: int = 3, hidden: int = 32, depth: int = 2,
                 kernel_size: int = 3):
        super().__init__(embed_dim, patch_size, tubelet_size, out_channels)
        if depth < 2 or hidden < 1 or kernel_size % 2 == 0:
            raise ValueError(f'ConvRefinePixelHead needs depth >= 2, hidden >= 1 and an odd '
                             f'kernel_size; got depth={depth}, hidden={hidden}, '
                             f'kernel_size={kernel_size}.')
        channels = [out_channels] + [hidden] * (depth - 1) + [out_channels]
        layers = []
        for i, (cin, cout) in enumerate(zip(channels[:-1], channels[1:])):
            layers.append(nn.Conv2d(cin, cout, kernel_size, padding=kernel_size // 2))
            if i < depth - 1:
                layers.append(nn.GELU())
        nn.init.zeros_(layers[-1].weight)
        nn.init.zeros_(layers[-1].bias)
        self.refine = nn.Sequential(*layers)

    def forward(self, tokens: torch.Tensor, grid: Sequence[int]) -> torch.Tensor:
        x = super().forward(tokens, grid)
        if x.ndim == 4:
            return x + self.refine(x)
        n, c, t = x.shape[:3]
        frames = x.permute(0, 2, 1, 3, 4).reshape(n * t, c, *x.shape[3:])
        frames = frames + self.refine(frames)
        return frames.reshape(n, t, c, *x.shape[3:]).permute(0, 2, 1, 3, 4)


@MODELS.register_module()
class BorderSmoothPixelHead(PixelHead):
    """:class:`PixelHead`, then the pixels on the two sides of every patch border (rows
    and columns) replaced by a [1, 2, 1] / 4 blur along the border's normal; pixels inside
    the patches are untouched. No parameters beyond the plain head's."""

    def forward(self, tokens: torch.Tensor, grid: Sequence[int]) -> torch.Tensor:
        x = super().forward(tokens, grid)
        p = self.patch_size
        height, width = x.shape[-2:]
        x = self._smooth(x, dim=-1, border=self._border(x, width, p))
        return self._smooth(x, dim=-2, border=self._border(x, height, p))

    @staticmethod
    def _border(like: torch.Tensor, size: int, p: int) -> torch.Tensor:
        """Pixels next to a border: the last of a patch and the first of the next (on
        ``like``'s device; float positions, exact integers)."""
        index = arange_like(like, size)
        return ((index % p == 0) & (index > 0)) | ((index % p == p - 1) & (index < size - 1))

    @staticmethod
    def _smooth(x: torch.Tensor, dim: int, border: torch.Tensor) -> torch.Tensor:
        before = torch.cat([x.narrow(dim, 0, 1), x.narrow(dim, 0, x.shape[dim] - 1)], dim)
        after = torch.cat([x.narrow(dim, 1, x.shape[dim] - 1), x.narrow(dim, -1, 1)], dim)
        blurred = (before + 2 * x + after) / 4
        shape = [1] * x.ndim
        shape[dim] = -1
        return torch.where(border.view(shape), blurred, x)


__all__ = ['BorderSmoothPixelHead', 'ConvRefinePixelHead', 'OverlapPixelHead', 'tent_window']
