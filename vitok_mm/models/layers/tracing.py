"""What lets a tower's forward be traced or exported at one size and run at any other.

Under ``torch.jit.trace``, ``torch.export`` and ``torch.compile`` a tensor's sizes are
traced values, not numbers: a forward that turns them into Python ints (``int()``, a
dict keyed by the grid, a size check in an ``if``) or makes a tensor from a size or a
device constant (``torch.arange(n, device=...)``) records the example's numbers in the
graph. The towers therefore count positions from tensors they already hold
(:func:`grid_positions`, :func:`arange_like`: the same float32 values as ``arange``)
and skip their argument checks while :func:`is_tracing`.
"""
from typing import List, Sequence

import torch


def is_tracing() -> bool:
    """Whether the forward is being traced, exported or compiled (sizes may be symbolic)."""
    if torch.jit.is_tracing():
        return True
    compiler = getattr(torch, 'compiler', None)
    return any(getattr(compiler, name, lambda: False)()
               for name in ('is_exporting', 'is_compiling'))


def arange_like(like: torch.Tensor, n: int) -> torch.Tensor:
    """``0, 1, ..., n - 1`` as float32 on ``like``'s device: ``arange``'s values, made by a
    cumulative sum of ones so that no traced op names a device."""
    return like.new_ones(n, dtype=torch.float32).cumsum(0) - 1


def grid_positions(like: torch.Tensor, grid: Sequence) -> List[torch.Tensor]:
    """Each axis's integer position of every token of ``grid``, float32 ``(L, )`` in
    row-major order (``meshgrid`` of ``arange``), on ``like``'s device. ``like`` is any
    tensor with ``prod(grid)`` elements (e.g. ``tokens[0, :, 0]``): the positions are a
    cumulative sum of ones shaped like the grid, so a traced graph takes the grid from
    its input."""
    ones = torch.ones_like(like, dtype=torch.float32).reshape(tuple(grid))
    return [ones.cumsum(axis).reshape(-1) - 1 for axis in range(len(grid))]


__all__ = ['arange_like', 'grid_positions', 'is_tracing']
