"""Packed batches (NaFlex): inputs of different sizes as one batch of token sequences.

Each input keeps its own token grid; its tokens (row-major) are padded at the end to
the longest sequence of the batch. A mask marks the real tokens and every token carries
its coordinates in its own grid, which is all RoPE needs; padding tokens are kept out of
attention (see :func:`~vitok_mm.models.layers.attention.multi_head_attention`), so each
input's tokens come out as if it had been alone in the batch.
"""
from dataclasses import dataclass
from typing import List, Sequence, Tuple

import torch


@dataclass
class PackedTokens:
    """Tokens of inputs of different sizes, padded to one length.

    ``tokens (N, L, D)``, ``mask (N, L)`` bool (True for real tokens), ``positions
    (N, L, axes)`` long (each token's coordinates in its own grid) and ``grids``, the
    token grid of each input.
    """
    tokens: torch.Tensor
    mask: torch.Tensor
    positions: torch.Tensor
    grids: List[Tuple[int, ...]]

    def unpack(self, tokens: torch.Tensor = None) -> List[torch.Tensor]:
        """Each input's real tokens ``(1, L_i, D)`` of ``tokens`` (default: ``self.tokens``)."""
        tokens = self.tokens if tokens is None else tokens
        return [tokens[i:i + 1, :_count(grid)] for i, grid in enumerate(self.grids)]


def _count(grid: Sequence[int]) -> int:
    count = 1
    for size in grid:
        count *= int(size)
    return count


def grid_positions(grid: Sequence[int], device=None) -> torch.Tensor:
    """Coordinates ``(prod(grid), len(grid))`` of the tokens of a grid, row-major."""
    axes = torch.meshgrid(*[torch.arange(int(n), device=device) for n in grid], indexing='ij')
    return torch.stack([a.reshape(-1) for a in axes], dim=-1)


def pack(token_lists: Sequence[torch.Tensor], grids: Sequence[Sequence[int]]) -> PackedTokens:
    """Pack per-input tokens ``(1, L_i, D)`` (or ``(L_i, D)``) with their grids.

    Raises:
        ValueError: a token count does not match its grid.
    """
    if not token_lists:
        raise ValueError('nothing to pack: no inputs.')
    flat = [t[0] if t.ndim == 3 else t for t in token_lists]
    grids = [tuple(int(g) for g in grid) for grid in grids]
    for tokens, grid in zip(flat, grids):
        if tokens.shape[0] != _count(grid):
            raise ValueError(f'{tokens.shape[0]} tokens do not fill the grid {grid}.')
    length = max(t.shape[0] for t in flat)
    first = flat[0]
    x = first.new_zeros(len(flat), length, first.shape[-1])
    mask = torch.zeros(len(flat), length, dtype=torch.bool, device=first.device)
    positions = torch.zeros(len(flat), length, len(grids[0]), dtype=torch.long,
                            device=first.device)
    for i, (tokens, grid) in enumerate(zip(flat, grids)):
        x[i, :tokens.shape[0]] = tokens
        mask[i, :tokens.shape[0]] = True
        positions[i, :tokens.shape[0]] = grid_positions(grid, first.device)
    return PackedTokens(x, mask, positions, grids)


__all__ = ['PackedTokens', 'grid_positions', 'pack']
