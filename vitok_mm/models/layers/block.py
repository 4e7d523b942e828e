"""The transformer block: pre-norm attention and MLP, each in a residual branch."""
from typing import Optional, Tuple

import torch
from torch import nn

from .attention import Attention
from .mlp import build_mlp
from .norm import build_norm


class Block(nn.Module):
    """``x + attn(norm(x))`` then ``x + mlp(norm(x))``; Llama-style by default.

    Shapes: ``(N, L, dim) -> (N, L, dim)``. ``rope`` is passed to the attention.
    """

    def __init__(self, dim: int, num_heads: int, mlp_ratio: float = 4.0,
                 norm_type: str = 'rmsnorm', mlp_type: str = 'swiglu', qk_norm: bool = False,
                 qkv_bias: bool = False, attn_backend: str = 'auto'):
        super().__init__()
        self.norm1 = build_norm(norm_type, dim)
        self.attn = Attention(dim, num_heads, qkv_bias=qkv_bias, qk_norm=qk_norm,
                              norm_type=norm_type, backend=attn_backend)
        self.norm2 = build_norm(norm_type, dim)
        self.mlp = build_mlp(mlp_type, dim, mlp_ratio)

    def forward(self, x: torch.Tensor,
                rope: Optional[Tuple[torch.Tensor, torch.Tensor]] = None) -> torch.Tensor:
        x = x + self.attn(self.norm1(x), rope)
        return x + self.mlp(self.norm2(x))
