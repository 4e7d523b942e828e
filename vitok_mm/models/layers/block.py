"""The transformer block: pre-norm attention and MLP, each in a residual branch.

The block contract, what a tower (:class:`~vitok_mm.models.layers.Transformer`)
relies on, so that another registered block can be swapped in with
``block=dict(type='MyBlock', ...)``:

- Construction: ``MODELS.build(block_cfg)`` once per block, with keyword
  arguments ``dim`` (the tower width) and ``num_heads`` always filled in,
  ``mlp_ratio`` filled in unless the block config gives its own, and the tower's
  shorthands (``norm_type``, ``norm``, ``mlp_type``, ``qk_norm``, ``qkv_bias``,
  ``attn_backend``) passed on only when they were set. Everything else comes from
  the block config.
- Forward: ``block(x, rope) -> x`` with ``x (N, L, dim)`` and ``rope`` the
  ``(cos, sin)`` pair of ``(L, head_dim/2)`` tables from the tower's
  :class:`~vitok_mm.models.layers.RotaryEmbedding`, or ``None`` when the tower
  has no RoPE; a block that does not use RoPE still takes the argument. When the
  tower is called with a conditioning vector, blocks are called
  ``block(x, rope, cond=cond)`` (for DiT's adaLN-Zero block, ``cond (N, C)``).
- Packed batches (inputs of different sizes, padded to one token count): blocks are
  called ``block(x, rope, mask=mask)`` with ``mask (N, L)`` bool (True for real tokens)
  and per-input RoPE tables ``(N, L, head_dim/2)``; the block passes ``mask`` to its
  attention. Without a mask the call stays ``block(x, rope)``.
- Output: same shape as ``x``; the tower applies its final norm after the last block.

ViTok-v2's parallel block, ``x + gamma * (attn(norm(x), rope) + mlp(norm(x)))``,
fits this contract as :class:`~vitok_mm.models.layers.ParallelBlock`.
"""
from typing import Optional, Tuple

import torch
from torch import nn

from vitok_mm.registry import MODELS

from .build import build_layer, layer_config
from .mlp import MLP_TYPES, mlp_config
from .norm import NORM_TYPES, norm_config


def block_layer_configs(dim: int, num_heads: int, norm_type: Optional[str],
                        mlp_type: Optional[str], qk_norm: Optional[bool],
                        qkv_bias: Optional[bool], attn_backend: Optional[str],
                        attn: Optional[dict], mlp: Optional[dict],
                        norm: Optional[dict]) -> Tuple[dict, dict, dict]:
    """The attention, MLP and norm configs of a block from its arguments (shorthands merged
    in, checked), shared by every block that takes ``attn``, ``mlp`` and ``norm`` configs."""
    norm = norm_config(norm_type, norm)
    mlp = mlp_config(mlp_type, mlp)
    attn = layer_config(
        attn if attn is not None else dict(type='Attention'), 'attn',
        fixed=dict(dim=dim, num_heads=num_heads, qk_norm=qk_norm, qkv_bias=qkv_bias,
                   backend=attn_backend),
        known=('Attention', ))
    if attn.get('qk_norm') and 'norm' not in attn and 'norm_type' not in attn:
        attn['norm'] = norm  # one norm for the whole block, as norm_type always meant
    return attn, mlp, norm


@MODELS.register_module()
class Block(nn.Module):
    """``x + attn(norm1(x))`` then ``x + mlp(norm2(x))``; Llama-style by default.

    Args:
        dim: token width.
        num_heads: attention heads (filled into the attention config).
        mlp_ratio: MLP hidden width over ``dim`` (filled into the MLP config unless it
            gives ``mlp_ratio`` or ``hidden_dim``).
        attn: attention config, default ``dict(type='Attention')``; ``dim`` and
            ``num_heads`` are filled in.
        mlp: MLP config (``'SwiGLU'``, ``'GeGLU'``, ``'Mlp'`` or a registered one);
            default SwiGLU. Excludes ``mlp_type``.
        norm: config of ``norm1``, ``norm2`` and, with ``qk_norm``, of the attention's
            q/k norms unless the attention config names its own (``'RMSNorm'``,
            ``'LayerNorm'`` or a registered one); default RMSNorm. Excludes ``norm_type``.
        norm_type: shorthand for ``norm``: ``'rmsnorm'`` or ``'layernorm'``.
        mlp_type: shorthand for ``mlp``: ``'swiglu'``, ``'geglu'`` or ``'gelu'``.
        qk_norm, qkv_bias, attn_backend: shorthands for the attention's ``qk_norm``,
            ``qkv_bias`` and ``backend``; merged into ``attn`` (an error when it sets
            them differently). Unset, the attention's defaults apply (off, off, ``'auto'``).

    The shorthands alone give the block of every existing config: same modules,
    same parameter names, same construction order.

    Shapes: ``x (N, L, dim)``, ``rope`` as in :class:`Attention` -> ``(N, L, dim)``.
    """

    def __init__(self, dim: int, num_heads: int, mlp_ratio: float = 4.0,
                 norm_type: Optional[str] = None, mlp_type: Optional[str] = None,
                 qk_norm: Optional[bool] = None, qkv_bias: Optional[bool] = None,
                 attn_backend: Optional[str] = None, attn: Optional[dict] = None,
                 mlp: Optional[dict] = None, norm: Optional[dict] = None):
        super().__init__()
        attn, mlp, norm = block_layer_configs(dim, num_heads, norm_type, mlp_type, qk_norm,
                                              qkv_bias, attn_backend, attn, mlp, norm)
        # Creation order is initialisation order (and the order of random draws).
        self.norm1 = build_layer(norm, 'norm', fixed=dict(dim=dim), known=NORM_TYPES.values())
        self.attn = MODELS.build(attn)
        self.norm2 = build_layer(norm, 'norm', fixed=dict(dim=dim), known=NORM_TYPES.values())
        self.mlp = build_layer(mlp, 'mlp', fixed=dict(dim=dim), known=MLP_TYPES.values(),
                               defaults={} if 'hidden_dim' in mlp else dict(mlp_ratio=mlp_ratio))

    def forward(self, x: torch.Tensor, rope: Optional[Tuple[torch.Tensor, torch.Tensor]] = None,
                mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        x = x + self.attn(self.norm1(x), rope, mask)
        return x + self.mlp(self.norm2(x))
