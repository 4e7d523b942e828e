"""A stack of blocks with its positional information: the body of each ViTok tower."""
from typing import Optional, Sequence

import torch
from torch import nn
from torch.utils.checkpoint import checkpoint

from .attention import head_dim_of
from .block import Block
from .norm import build_norm
from .pos_embed import ABS_POS_EMBED_TYPES, LearnedPositionEmbedding, sincos_position_embedding
from .rope import RotaryEmbedding


class Transformer(nn.Module):
    """``depth`` blocks of width ``width``, positions for a 2D or 3D token grid, final norm.

    Args:
        width, depth, num_heads, mlp_ratio: size of the stack.
        num_axes: 2 for image token grids (h, w), 3 for video (t, h, w).
        norm_type, mlp_type, qk_norm, qkv_bias, attn_backend: see :class:`Block`.
        rope: rotary positions in every attention (default on).
        rope_theta: RoPE frequency base.
        abs_pos_embed: ``None``, ``'learned'`` or ``'sincos'`` absolute positions
            added to the tokens before the first block.
        base_grid: token grid a learned table is made for (needed for ``'learned'``).
        grad_checkpointing: recompute each block in the backward pass (activation
            checkpointing) to trade compute for memory.

    Shapes: ``x (N, L, width)``, ``grid`` with ``prod(grid) == L`` -> ``(N, L, width)``.
    """

    def __init__(self, width: int, depth: int, num_heads: int, mlp_ratio: float = 4.0,
                 num_axes: int = 2, norm_type: str = 'rmsnorm', mlp_type: str = 'swiglu',
                 qk_norm: bool = False, qkv_bias: bool = False, attn_backend: str = 'auto',
                 rope: bool = True, rope_theta: float = 10000.0,
                 abs_pos_embed: Optional[str] = None, base_grid: Optional[Sequence[int]] = None,
                 grad_checkpointing: bool = False):
        super().__init__()
        if width < 1 or depth < 1:
            raise ValueError(f'width and depth must be positive, got width={width}, depth={depth}.')
        if abs_pos_embed not in ABS_POS_EMBED_TYPES:
            raise ValueError(
                f'Unknown abs_pos_embed {abs_pos_embed!r}; choose one of {ABS_POS_EMBED_TYPES}.')
        self.num_axes = num_axes
        self.grad_checkpointing = grad_checkpointing
        head_dim = head_dim_of(width, num_heads)
        self.rope = RotaryEmbedding(head_dim, num_axes, rope_theta) if rope else None
        self.abs_pos_embed = abs_pos_embed
        self.pos_embed = None
        if abs_pos_embed == 'learned':
            if base_grid is None or len(base_grid) != num_axes:
                raise ValueError(
                    "abs_pos_embed='learned' needs base_grid, the token grid at the training "
                    f'resolution with {num_axes} entries (e.g. (16, 16) for 256p with p=16).')
            self.pos_embed = LearnedPositionEmbedding(base_grid, width)
        elif abs_pos_embed == 'sincos':
            sincos_position_embedding((2,) * num_axes, width)  # validates the width early
        self.blocks = nn.ModuleList([
            Block(width, num_heads, mlp_ratio, norm_type=norm_type, mlp_type=mlp_type,
                  qk_norm=qk_norm, qkv_bias=qkv_bias, attn_backend=attn_backend)
            for _ in range(depth)
        ])
        self.norm = build_norm(norm_type, width)

    def forward(self, x: torch.Tensor, grid: Sequence[int]) -> torch.Tensor:
        grid = tuple(grid)
        if len(grid) != self.num_axes:
            raise ValueError(f'expected a {self.num_axes}-axis token grid, got {grid}.')
        if self.pos_embed is not None:
            x = x + self.pos_embed(grid).to(x.dtype)
        elif self.abs_pos_embed == 'sincos':
            x = x + sincos_position_embedding(grid, x.shape[-1], device=x.device).to(x.dtype)
        rope = self.rope(grid, x.device) if self.rope is not None else None
        for block in self.blocks:
            if self.grad_checkpointing and self.training and torch.is_grad_enabled():
                x = checkpoint(block, x, rope, use_reentrant=False)
            else:
                x = block(x, rope)
        return self.norm(x)
