"""Tiled application of a patch-wise map (encode or decode) over the last two axes, with
linear blending where tiles overlap, as diffusers' tiled VAE does.

A ViTok tower attends over every token of its input, so its memory grows with the
token count (quadratically for the math attention path). Cut into overlapping tiles of
a fixed size, a large image costs what one tile costs per forward pass; each output
element is the convex blend of the tiles that cover it, weighted by linear ramps that
fall towards each tile's edge where a neighbour overlaps, so the seams do not show.

Tiles all have the same size (the last one along an axis is aligned to the end), so
that the tiles of an input go through the model in batches.
"""
from typing import Callable, List, Sequence, Tuple

import torch

Outputs = Tuple[torch.Tensor, ...]


def tile_starts(size: int, tile: int, stride: int) -> List[int]:
    """Start of each tile along an axis of ``size``: every ``stride``, the last tile
    aligned to the end, one tile when ``size <= tile``."""
    if size <= tile:
        return [0]
    starts = list(range(0, size - tile, stride))
    return starts + [size - tile]


def blend_ramp(length: int, lo: int, hi: int) -> torch.Tensor:
    """Weights ``(length,)`` of one tile along an axis: 1 inside, rising linearly over the
    first ``lo`` elements and falling over the last ``hi`` (the overlaps with the previous
    and next tiles). Two tiles overlapping by ``L`` cross-fade with weights summing to 1."""
    index = torch.arange(length, dtype=torch.float32) + 0.5
    weight = torch.ones(length)
    if lo > 0:
        weight = torch.minimum(weight, index / lo)
    if hi > 0:
        weight = torch.minimum(weight, (length - index) / hi)
    return weight


def _axis_tiles(size: int, tile: int, overlap: int) -> List[Tuple[int, int, int]]:
    """``(start, overlap with the previous tile, with the next)`` along one axis."""
    tile = min(tile, size)
    starts = tile_starts(size, tile, tile - overlap)
    tiles = []
    for k, start in enumerate(starts):
        lo = starts[k - 1] + tile - start if k > 0 else 0
        hi = start + tile - starts[k + 1] if k + 1 < len(starts) else 0
        tiles.append((start, lo, hi))
    return tiles


def tiled_map(fn: Callable[[torch.Tensor], Outputs], x: torch.Tensor, tile: int,
              overlap: int, scale: float, batch_size: int) -> Outputs:
    """``fn`` applied to overlapping ``tile x tile`` tiles of ``x``'s last two axes and
    blended back together.

    Args:
        fn: maps a batch of tiles ``(B, C, ..., th, tw)`` to a tuple of tensors
            ``(B, C', ..., th * scale, tw * scale)`` (e.g. the posterior's mean and
            log-variance, or pixels).
        x: ``(N, C, ..., H, W)``.
        tile, overlap: in ``x``'s units; ``tile * scale`` and ``overlap * scale`` must
            be whole (tiles on the patch grid).
        scale: output elements per input element (``1 / patch_size`` for encoding,
            ``patch_size`` for decoding).
        batch_size: tiles per call of ``fn``.

    Returns:
        the blended outputs ``(N, C', ..., H * scale, W * scale)``, float32.
    """
    if not 0 <= overlap < tile:
        raise ValueError(f'the tile overlap must be in [0, tile size), got overlap '
                         f'{overlap} for tiles of {tile}.')
    height, width = x.shape[-2:]
    rows, cols = _axis_tiles(height, tile, overlap), _axis_tiles(width, tile, overlap)
    th, tw = min(tile, height), min(tile, width)
    places = [(r, c) for r in rows for c in cols]

    def scaled(n: int) -> int:
        value = n * scale
        if abs(value - round(value)) > 1e-6:
            raise ValueError(f'a tile edge of {n} is not on the patch grid (x{scale}).')
        return int(round(value))

    sums: List[torch.Tensor] = []
    total = None
    pending: List[Tuple[int, int, int, int]] = []  # (row start, lo, col start, lo) ...

    def flush(batch_places) -> None:
        nonlocal total
        tiles = torch.cat([x[..., r0:r0 + th, c0:c0 + tw] for (r0, _, _), (c0, _, _)
                           in batch_places])
        outputs = fn(tiles)
        n = x.shape[0]
        for k, ((r0, rlo, rhi), (c0, clo, chi)) in enumerate(batch_places):
            weight = (blend_ramp(scaled(th), scaled(rlo), scaled(rhi))[:, None]
                      * blend_ramp(scaled(tw), scaled(clo), scaled(chi))[None, :])
            rows_out = slice(scaled(r0), scaled(r0) + scaled(th))
            cols_out = slice(scaled(c0), scaled(c0) + scaled(tw))
            for i, out in enumerate(outputs):
                part = out[k * n:(k + 1) * n].float()
                if len(sums) <= i:
                    sums.append(part.new_zeros(*part.shape[:-2], scaled(height),
                                               scaled(width)))
                weight = weight.to(part.device)
                sums[i][..., rows_out, cols_out] += part * weight
            if total is None:
                total = torch.zeros(scaled(height), scaled(width), device=weight.device)
            total[rows_out, cols_out] += weight

    per_call = max(1, batch_size // max(1, x.shape[0]))
    for start in range(0, len(places), per_call):
        pending = places[start:start + per_call]
        flush(pending)
    return tuple(s / total for s in sums)


def spatial_tiles(shape: Sequence[int], tile: int, overlap: int) -> int:
    """How many tiles :func:`tiled_map` cuts an input of ``shape`` into."""
    height, width = shape[-2:]
    return (len(_axis_tiles(height, tile, overlap)) * len(_axis_tiles(width, tile, overlap)))


__all__ = ['blend_ramp', 'spatial_tiles', 'tile_starts', 'tiled_map']
