"""ViTok-v2's block: attention and MLP in parallel on one norm, scaled per channel.

``x + gamma * (attn(norm(x)) + mlp(norm(x)))``: one norm instead of two, the two
branches summed before the residual (they run on the same input, so one pass over it
feeds both), and LayerScale's learned per-channel ``gamma`` (CaiT), initialised small so
that a deep tower starts close to the identity.
"""
from typing import Optional, Tuple

import torch
from torch import nn

from vitok_mm.registry import MODELS

from .block import block_layer_configs
from .build import build_layer
from .mlp import MLP_TYPES
from .norm import NORM_TYPES


@MODELS.register_module()
class LayerScale(nn.Module):
    """``x * gamma``, a learned scale per channel, ``gamma`` initialised to ``init_value``.

    Shapes: ``(..., dim) -> (..., dim)``.
    """

    def __init__(self, dim: int, init_value: float = 1e-4):
        super().__init__()
        if dim < 1:
            raise ValueError(f'LayerScale needs a positive dim, got {dim}.')
        self.gamma = nn.Parameter(torch.full((dim, ), float(init_value)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.gamma.to(x.dtype)


@MODELS.register_module()
class ParallelBlock(nn.Module):
    """``x + gamma * (attn(norm(x)) + mlp(norm(x)))`` (ViTok-v2's block).

    Args:
        dim, num_heads, mlp_ratio: as :class:`~vitok_mm.models.layers.Block`.
        attn, mlp, norm: configs as :class:`~vitok_mm.models.layers.Block` (defaults
            ``Attention``, ``SwiGLU``, ``RMSNorm``); with ``qk_norm`` the attention's
            q/k norms follow ``norm`` unless the attention config names its own.
        norm_type, mlp_type, qk_norm, qkv_bias, attn_backend: the tower shorthands.
        layer_scale: initial ``gamma`` of LayerScale (v2: 1e-4); ``None``: no scale.

    Parameters: ``norm``, ``attn``, ``mlp``, ``layer_scale.gamma``.

    Shapes: ``x (N, L, dim)``, ``rope`` and ``mask`` as in ``Attention`` -> ``(N, L, dim)``.
    """

    def __init__(self, dim: int, num_heads: int, mlp_ratio: float = 4.0,
                 norm_type: Optional[str] = None, mlp_type: Optional[str] = None,
                 qk_norm: Optional[bool] = None, qkv_bias: Optional[bool] = None,
                 attn_backend: Optional[str] = None, attn: Optional[dict] = None,
                 mlp: Optional[dict] = None, norm: Optional[dict] = None,
                 layer_scale: Optional[float] = 1e-4):
        super().__init__()
        attn, mlp, norm = block_layer_configs(dim, num_heads, norm_type, mlp_type, qk_norm,
                                              qkv_bias, attn_backend, attn, mlp, norm)
        self.norm = build_layer(norm, 'norm', fixed=dict(dim=dim), known=NORM_TYPES.values())
        self.attn = MODELS.build(attn)
        self.mlp = build_layer(mlp, 'mlp', fixed=dict(dim=dim), known=MLP_TYPES.values(),
                               defaults={} if 'hidden_dim' in mlp else dict(mlp_ratio=mlp_ratio))
        self.layer_scale = (LayerScale(dim, layer_scale) if layer_scale is not None
                            else nn.Identity())

    def forward(self, x: torch.Tensor, rope: Optional[Tuple[torch.Tensor, torch.Tensor]] = None,
                mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        h = self.norm(x)
        return x + self.layer_scale(self.attn(h, rope, mask) + self.mlp(h))
