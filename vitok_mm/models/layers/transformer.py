"""A stack of blocks with its positional information: the body of each ViTok tower."""
import copy
from typing import Optional, Sequence

import torch
from torch import nn
from torch.utils.checkpoint import checkpoint

from vitok_mm.registry import MODELS

from .attention import head_dim_of
from .build import build_layer, layer_config
from .norm import NORM_TYPES, norm_config
from .pos_embed import (
    ABS_POS_EMBED_TYPES,
    LearnedPositionEmbedding,
    sincos_at,
    sincos_position_embedding,
)
from .rope import RotaryEmbedding


@MODELS.register_module()
class Transformer(nn.Module):
    """``depth`` blocks of width ``width``, positions for a 2D or 3D token grid, final norm.

    Args:
        width, depth, num_heads, mlp_ratio: size of the stack.
        num_axes: 2 for image token grids (h, w), 3 for video (t, h, w).
        block: config of each block, default ``dict(type='Block')``; ``dim`` and
            ``num_heads`` are filled in, ``mlp_ratio`` unless the config gives it.
            Any registered block that keeps the contract in
            :mod:`vitok_mm.models.layers.block` fits, e.g.
            ``block=dict(type='Block', mlp=dict(type='Mlp'), norm=dict(type='LayerNorm'))``.
        norm_type, norm: the tower's norm, in every block and as the final norm:
            shorthand ``'rmsnorm'`` / ``'layernorm'`` or a config; at most one. Unset,
            the final norm follows the block config's ``norm`` / ``norm_type`` (RMSNorm
            when it has neither).
        mlp_type, qk_norm, qkv_bias, attn_backend: shorthands passed to every block
            (see :class:`Block`) when set.
        rope: rotary positions in every attention (default on).
        rope_theta: RoPE frequency base.
        abs_pos_embed: ``None``, ``'learned'`` or ``'sincos'`` absolute positions
            added to the tokens before the first block.
        base_grid: token grid a learned table is made for (needed for ``'learned'``).
        grad_checkpointing: recompute each block in the backward pass (activation
            checkpointing) to trade compute for memory.
        final_norm: end with the tower's norm (default). ``False`` for towers whose head
            normalises itself (DiT's modulated final layer).

    Shapes: ``x (N, L, width)``, ``grid`` with ``prod(grid) == L``, optional ``cond``
    passed to every block -> ``(N, L, width)``.

    Packed batches (NaFlex: inputs of different sizes, each a token sequence padded to
    one length ``L``): ``forward(x, positions=..., mask=...)`` with ``positions
    (N, L, num_axes)``, each token's integer coordinates in its own grid (what positions
    RoPE and a sin-cos embedding see), and ``mask (N, L)`` bool, True for real tokens;
    padding tokens are kept out of every attention. A learned position table needs
    the full grid and is refused there.
    """

    def __init__(self, width: int, depth: int, num_heads: int, mlp_ratio: float = 4.0,
                 num_axes: int = 2, norm_type: Optional[str] = None,
                 mlp_type: Optional[str] = None, qk_norm: Optional[bool] = None,
                 qkv_bias: Optional[bool] = None, attn_backend: Optional[str] = None,
                 rope: bool = True, rope_theta: float = 10000.0,
                 abs_pos_embed: Optional[str] = None, base_grid: Optional[Sequence[int]] = None,
                 grad_checkpointing: bool = False, block: Optional[dict] = None,
                 norm: Optional[dict] = None, final_norm: bool = True):
        super().__init__()
        if width < 1 or depth < 1:
            raise ValueError(f'width and depth must be positive, got width={width}, depth={depth}.')
        if abs_pos_embed not in ABS_POS_EMBED_TYPES:
            raise ValueError(
                f'Unknown abs_pos_embed {abs_pos_embed!r}; choose one of {ABS_POS_EMBED_TYPES}.')
        norm_config(norm_type, norm)  # both given: the error names the tower's options
        block = layer_config(
            block if block is not None else dict(type='Block'), 'block',
            fixed=dict(dim=width, num_heads=num_heads, norm_type=norm_type, norm=norm,
                       mlp_type=mlp_type, qk_norm=qk_norm, qkv_bias=qkv_bias,
                       attn_backend=attn_backend),
            defaults=dict(mlp_ratio=mlp_ratio), known=('Block', 'ParallelBlock'))
        final_norm_cfg = norm_config(block.get('norm_type'), block.get('norm'))
        self.num_axes = num_axes
        self.width = width
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
        self.blocks = nn.ModuleList([MODELS.build(copy.deepcopy(block)) for _ in range(depth)])
        self.norm = build_layer(final_norm_cfg, 'norm', fixed=dict(dim=width),
                                known=NORM_TYPES.values()) if final_norm else nn.Identity()

    def forward(self, x: torch.Tensor, grid: Optional[Sequence[int]] = None,
                cond: Optional[torch.Tensor] = None, mask: Optional[torch.Tensor] = None,
                positions: Optional[torch.Tensor] = None) -> torch.Tensor:
        if positions is None:
            if grid is None:
                raise ValueError('Transformer.forward needs the token grid, or per-token '
                                 'positions for a packed batch.')
            grid = tuple(grid)
            if len(grid) != self.num_axes:
                raise ValueError(f'expected a {self.num_axes}-axis token grid, got {grid}.')
            x = self._add_positions(x, grid)
            rope = self.rope(grid, like=x[0, :, 0]) if self.rope is not None else None
        else:
            if positions.shape[:2] != x.shape[:2] or positions.shape[-1] != self.num_axes:
                raise ValueError(f'positions must be (N, L, {self.num_axes}) for tokens of shape '
                                 f'{tuple(x.shape)}, got {tuple(positions.shape)}.')
            if self.pos_embed is not None:
                raise ValueError("a learned position table (abs_pos_embed='learned') needs the "
                                 'full token grid; packed batches of different sizes need '
                                 "RoPE or abs_pos_embed='sincos'.")
            if self.abs_pos_embed == 'sincos':
                x = x + sincos_at(positions, self.width).to(x.dtype)
            rope = self.rope.at(positions) if self.rope is not None else None
        # Blocks keep the two-argument call of the block contract unless there is more.
        extra = {} if cond is None else dict(cond=cond)
        if mask is not None:
            extra['mask'] = mask
        for block in self.blocks:
            if self.grad_checkpointing and self.training and torch.is_grad_enabled():
                x = checkpoint(block, x, rope, use_reentrant=False, **extra)
            else:
                x = block(x, rope, **extra)
        return self.norm(x)

    def _add_positions(self, x: torch.Tensor, grid: Sequence[int]) -> torch.Tensor:
        if self.pos_embed is not None:
            return x + self.pos_embed(grid).to(x.dtype)
        if self.abs_pos_embed == 'sincos':
            return x + sincos_position_embedding(grid, self.width, like=x[0, :, 0]).to(x.dtype)
        return x
