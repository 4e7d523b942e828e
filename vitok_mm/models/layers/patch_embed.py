"""Pixels to tokens (patch / tubelet embedding) and tokens back to pixels (pixel head)."""
from typing import Optional, Sequence, Tuple

import torch
from torch import nn

from vitok_mm.registry import MODELS

from .linear import Linear
from .tracing import is_tracing


def token_grid(shape: Sequence[int], patch_size: int,
               tubelet_size: Optional[int] = None) -> Tuple[int, ...]:
    """Token grid of an input of ``shape`` (``(N, C, H, W)`` or ``(N, C, T, H, W)``).

    Raises a ValueError naming the fix when the input's rank does not match the
    embedding (image vs video) or a size is not divisible by the patch/tubelet. Traced
    (:func:`~.tracing.is_tracing`), the sizes stay traced values and are not checked.
    """
    if is_tracing():
        steps = (patch_size, patch_size) if tubelet_size is None else \
            (tubelet_size, patch_size, patch_size)
        return tuple(size // step for size, step in zip(tuple(shape)[2:], steps))
    shape = tuple(int(s) for s in shape)
    if tubelet_size is None:
        if len(shape) != 4:
            raise ValueError(
                f'an image tokenizer (patch_size={patch_size}, no tubelet_size) takes images '
                f'(N, C, H, W); got shape {shape}. For video set tubelet_size.')
        sizes, steps, names = shape[2:], (patch_size, patch_size), ('H', 'W')
    else:
        if len(shape) != 5:
            raise ValueError(
                f'a video tokenizer (tubelet_size={tubelet_size}, patch_size={patch_size}) takes '
                f'videos (N, C, T, H, W); got shape {shape}.')
        sizes = shape[2:]
        steps, names = (tubelet_size, patch_size, patch_size), ('T', 'H', 'W')
    for size, step, name in zip(sizes, steps, names):
        if size % step or size == 0:
            what = 'tubelet_size q' if name == 'T' else 'patch_size p'
            raise ValueError(
                f'input {name}={size} is not divisible by the {what}={step} (input shape {shape}); '
                f'resize or crop the input to a multiple of {step}.')
    return tuple(size // step for size, step in zip(sizes, steps))


def _check_sizes(patch_size: int, tubelet_size: Optional[int]) -> None:
    if patch_size < 1:
        raise ValueError(f'patch_size must be a positive integer, got {patch_size}.')
    if tubelet_size is not None and tubelet_size < 1:
        raise ValueError(f'tubelet_size must be a positive integer or None, got {tubelet_size}.')


@MODELS.register_module()
class PatchEmbed(nn.Module):
    """Cut pixels into p x p patches (or q x p x p tubelets) and project each to a token.

    Args:
        embed_dim: token width.
        patch_size: spatial patch size p.
        tubelet_size: temporal size q for video; ``None`` for images.
        in_channels: pixel channels.

    Shapes: ``(N, C, H, W) -> (N, H/p * W/p, D)`` or
    ``(N, C, T, H, W) -> (N, T/q * H/p * W/p, D)``; ``forward`` also returns the
    token grid ``(h, w)`` / ``(t, h, w)``. Tokens are in row-major grid order.
    """

    def __init__(self, embed_dim: int, patch_size: int, tubelet_size: Optional[int] = None,
                 in_channels: int = 3):
        super().__init__()
        _check_sizes(patch_size, tubelet_size)
        self.patch_size = patch_size
        self.tubelet_size = tubelet_size
        self.in_channels = in_channels
        self.patch_dim = in_channels * patch_size ** 2 * (tubelet_size or 1)
        self.proj = Linear(self.patch_dim, embed_dim)

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, Tuple[int, ...]]:
        grid = token_grid(x.shape, self.patch_size, self.tubelet_size)
        if not is_tracing() and x.shape[1] != self.in_channels:
            raise ValueError(
                f'expected {self.in_channels} input channels, got shape {tuple(x.shape)}.')
        p, q = self.patch_size, self.tubelet_size
        return self.proj(patchify(x, grid, (p, p) if q is None else (q, p, p))), grid


@MODELS.register_module()
class PixelHead(nn.Module):
    """Project tokens back to patches of pixels and put the patches in place (unpatchify).

    The inverse of :class:`PatchEmbed`. Shapes: ``tokens (N, L, D)`` and ``grid``
    -> ``(N, C, H, W)`` for a 2-axis grid, ``(N, C, T, H, W)`` for a 3-axis grid.
    """

    def __init__(self, embed_dim: int, patch_size: int, tubelet_size: Optional[int] = None,
                 out_channels: int = 3):
        super().__init__()
        _check_sizes(patch_size, tubelet_size)
        self.patch_size = patch_size
        self.tubelet_size = tubelet_size
        self.out_channels = out_channels
        self.proj = Linear(embed_dim, out_channels * patch_size ** 2 * (tubelet_size or 1))

    def forward(self, tokens: torch.Tensor, grid: Sequence[int]) -> torch.Tensor:
        return unpatchify(self.proj(tokens), grid, self.steps, self.out_channels)

    @property
    def steps(self) -> Tuple[int, ...]:
        """The patch's sides: ``(p, p)``, or ``(q, p, p)`` for video."""
        p, q = self.patch_size, self.tubelet_size
        return (p, p) if q is None else (q, p, p)


def patchify(pixels: torch.Tensor, grid: Sequence, steps: Sequence[int]) -> torch.Tensor:
    """The cut of :class:`PatchEmbed` without its projection: ``(N, C, *(grid * steps))``
    -> ``(N, prod(grid), prod(steps) * C)``, tokens in row-major grid order, each patch's
    pixels in ``(steps..., C)`` order. Reshapes and permutes only, the grid as given."""
    n, channels = pixels.shape[:2]
    split = [n, channels]
    for cells, step in zip(grid, steps):
        split += [cells, step]
    axes = len(steps)
    order = [0] + [2 + 2 * i for i in range(axes)] + [3 + 2 * i for i in range(axes)] + [1]
    return pixels.reshape(split).permute(order).flatten(1, axes).flatten(2)


def unpatchify(patches: torch.Tensor, grid: Sequence, steps: Sequence[int],
               channels: int) -> torch.Tensor:
    """Patches in place: ``(N, prod(grid), prod(steps) * C)`` (each patch's pixels in
    ``(steps..., C)`` order, :class:`PatchEmbed`'s) -> ``(N, C, *(grid * steps))``.

    Reshapes and permutes only, with the grid taken as given (sizes or traced values).
    """
    axes = len(steps)
    x = patches.reshape(patches.shape[0], *grid, *steps, channels)
    order = [0, 2 * axes + 1]
    for i in range(axes):
        order += [1 + i, 1 + axes + i]
    x = x.permute(order)
    for i in reversed(range(axes)):
        x = x.flatten(2 + 2 * i, 3 + 2 * i)
    return x
