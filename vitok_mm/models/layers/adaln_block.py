"""DiT's adaLN-Zero block: a transformer block modulated by a conditioning vector.

``norm(x) * (1 + scale) + shift`` replaces the norms' affine parameters, and each
residual branch is multiplied by a gate; shift, scale and gate (two sets, one per
branch: ``6 * dim`` values) are a linear function of ``silu(cond)`` whose weights start
at zero, so every block starts as the identity (Peebles & Xie, 2023, Sec. 3.2).
"""
from typing import Optional, Tuple

import torch
from torch import nn

from vitok_mm.registry import MODELS

from .build import build_layer, layer_config
from .linear import Linear
from .mlp import MLP_TYPES, mlp_config
from .norm import NORM_TYPES, norm_config


def modulate(x: torch.Tensor, shift: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
    """``x * (1 + scale) + shift`` per sample: ``x (N, L, D)``, ``shift/scale (N, D)``."""
    return x * (1 + scale.unsqueeze(1)) + shift.unsqueeze(1)


def affine_free_norm(norm_type: Optional[str], norm: Optional[dict]) -> dict:
    """A norm config without affine parameters (the modulation supplies them); LayerNorm
    unless the shorthand or the config says otherwise."""
    cfg = norm_config(norm_type, norm, default='layernorm')
    if isinstance(cfg, dict):
        cfg.setdefault('elementwise_affine', False)
    return cfg


@MODELS.register_module()
class AdaLNZeroBlock(nn.Module):
    """``x + gate1 * attn(modulate(norm1(x)))`` then ``x + gate2 * mlp(modulate(norm2(x)))``,
    with the six modulations computed from ``cond``.

    Keeps the block contract of :mod:`vitok_mm.models.layers.block`: a
    :class:`~vitok_mm.models.layers.Transformer` called with ``cond=`` passes it on.

    Args:
        dim: token width.
        num_heads: attention heads.
        mlp_ratio: MLP hidden width over ``dim`` (DiT: 4).
        cond_dim: width of ``cond``; default ``dim`` (DiT's timestep + class embedding).
        attn: attention config; default ``dict(type='Attention', qkv_bias=True,
            proj_bias=True)`` as DiT. ``dim`` and ``num_heads`` are filled in.
        mlp: MLP config; default DiT's ``dict(type='Mlp', approximate='tanh')``
            (GELU, tanh approximation). ``dict(type='SwiGLU')`` is an option.
        norm: the two norms; default ``dict(type='LayerNorm', elementwise_affine=False)``
            (eps 1e-6). A config without ``elementwise_affine`` gets ``False``.
        norm_type, mlp_type, qk_norm, qkv_bias, attn_backend: the shorthands of
            :class:`~vitok_mm.models.layers.Block`.

    Shapes: ``x (N, L, dim)``, ``rope`` as in :class:`Attention` or None,
    ``cond (N, cond_dim)`` -> ``(N, L, dim)``.
    """

    def __init__(self, dim: int, num_heads: int, mlp_ratio: float = 4.0,
                 cond_dim: Optional[int] = None, norm_type: Optional[str] = None,
                 mlp_type: Optional[str] = None, qk_norm: Optional[bool] = None,
                 qkv_bias: Optional[bool] = None, attn_backend: Optional[str] = None,
                 attn: Optional[dict] = None, mlp: Optional[dict] = None,
                 norm: Optional[dict] = None):
        super().__init__()
        norm = affine_free_norm(norm_type, norm)
        mlp = mlp_config(mlp_type, mlp) if (mlp_type or mlp) else \
            dict(type='Mlp', approximate='tanh')
        attn = layer_config(
            attn if attn is not None else dict(type='Attention', qkv_bias=True, proj_bias=True),
            'attn', fixed=dict(dim=dim, num_heads=num_heads, qk_norm=qk_norm, qkv_bias=qkv_bias,
                               backend=attn_backend),
            known=('Attention', ))
        self.norm1 = build_layer(norm, 'norm', fixed=dict(dim=dim), known=NORM_TYPES.values())
        self.attn = MODELS.build(attn)
        self.norm2 = build_layer(norm, 'norm', fixed=dict(dim=dim), known=NORM_TYPES.values())
        self.mlp = build_layer(mlp, 'mlp', fixed=dict(dim=dim), known=MLP_TYPES.values(),
                               defaults={} if 'hidden_dim' in mlp else dict(mlp_ratio=mlp_ratio))
        self.modulation = nn.Sequential(nn.SiLU(), Linear(cond_dim or dim, 6 * dim))
        zero_init_modulation(self.modulation)

    def forward(self, x: torch.Tensor,
                rope: Optional[Tuple[torch.Tensor, torch.Tensor]] = None,
                cond: Optional[torch.Tensor] = None,
                mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        if cond is None:
            raise ValueError('AdaLNZeroBlock needs the conditioning vector: call the tower '
                             'with cond=(N, cond_dim).')
        shift1, scale1, gate1, shift2, scale2, gate2 = self.modulation(cond).chunk(6, dim=-1)
        x = x + gate1.unsqueeze(1) * self.attn(modulate(self.norm1(x), shift1, scale1), rope,
                                               mask)
        return x + gate2.unsqueeze(1) * self.mlp(modulate(self.norm2(x), shift2, scale2))


def zero_init_modulation(modulation: nn.Module) -> None:
    """Zero the weights and biases of the modulation's linear layers (the "Zero")."""
    for module in modulation.modules():
        if isinstance(module, nn.Linear):
            nn.init.zeros_(module.weight)
            nn.init.zeros_(module.bias)
