"""Multi-head self-attention with interchangeable kernels.

Backends (``backend=`` in a config):

- ``'sdpa'``: PyTorch ``scaled_dot_product_attention`` (flash / memory-efficient
  kernels where PyTorch has them).
- ``'xformers'``: ``xformers.ops.memory_efficient_attention``; CUDA only.
- ``'math'``: the plain ``softmax(q k^T / sqrt(d)) v``, the reference the others
  are tested against.
- ``'auto'`` (default): xformers when it is installed, the tensors are on CUDA and
  their dtype is one it supports; otherwise sdpa.
"""
import importlib.util
import math
from typing import Optional, Tuple

import torch
import torch.nn.functional as F
from torch import nn

from vitok_mm.registry import MODELS

from .build import build_layer
from .linear import Linear
from .norm import NORM_TYPES, norm_config
from .rope import apply_rotary

ATTENTION_BACKENDS = ('auto', 'sdpa', 'xformers', 'math')
XFORMERS_DTYPES = (torch.float16, torch.bfloat16, torch.float32)


def xformers_available() -> bool:
    """Whether ``xformers`` can be imported (checked without importing it)."""
    return importlib.util.find_spec('xformers') is not None


def check_backend(backend: str) -> str:
    """Validate a backend name; raise the fix when xformers is asked for but absent."""
    if backend not in ATTENTION_BACKENDS:
        raise ValueError(
            f'Unknown attention backend {backend!r}; choose one of {ATTENTION_BACKENDS}.')
    if backend == 'xformers' and not xformers_available():
        raise ValueError(
            "attention backend 'xformers' was requested but xformers is not installed. "
            "Install it with `pip install -e .[xformers]` (CUDA only) or use backend='auto'.")
    return backend


def resolve_backend(backend: str, q: torch.Tensor) -> str:
    """The concrete kernel ``'auto'`` stands for, for these tensors."""
    if backend != 'auto':
        return backend
    if q.is_cuda and q.dtype in XFORMERS_DTYPES and xformers_available():
        return 'xformers'
    return 'sdpa'


def head_dim_of(width: int, num_heads: int) -> int:
    """Channels per head, or a ValueError when the heads do not divide the width."""
    if num_heads < 1 or width % num_heads:
        raise ValueError(
            f'width {width} is not divisible by num_heads {num_heads}; pick a head count '
            'that divides the width (S/B: 768 with 12 heads, L: 1152 with 16).')
    return width // num_heads


def math_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor,
                   mask: Optional[torch.Tensor] = None) -> torch.Tensor:
    """Reference attention. Shapes: ``(N, H, L, d) x3 -> (N, H, L, d)``; ``mask (N, L)``
    bool, False for keys no query may attend to.

    Softmax in float32 so that the reference stays one under bf16.
    """
    scores = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(q.shape[-1]))
    scores = scores.float()
    if mask is not None:
        scores = scores.masked_fill(~mask[:, None, None, :], float('-inf'))
    return scores.softmax(dim=-1).type_as(v) @ v


def _xformers_bias(mask: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
    """An additive ``(N, H, L, L)`` bias of 0 / -inf for xformers from a key mask ``(N, L)``:
    allocated with its last axis padded to a multiple of 16 (xformers wants aligned rows)
    and broadcast over queries and heads without copies."""
    n, heads, length = q.shape[0], q.shape[1], q.shape[2]
    padded = -(-length // 16) * 16
    bias = torch.zeros(n, 1, 1, padded, dtype=q.dtype, device=q.device)
    bias[..., :length].masked_fill_(~mask[:, None, None, :], float('-inf'))
    return bias[..., :length].expand(n, heads, length, length)


def multi_head_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor,
                         backend: str = 'auto',
                         mask: Optional[torch.Tensor] = None) -> torch.Tensor:
    """Non-causal attention of ``(N, H, L, d)`` queries, keys, values -> ``(N, H, L, d)``.

    ``mask (N, L)`` (bool, True for real tokens) keeps every query from attending to the
    padding tokens of a packed batch of inputs of different sizes; every backend honours it.
    """
    backend = resolve_backend(backend, q)
    if backend == 'sdpa':
        attn_mask = None if mask is None else mask[:, None, None, :]
        return F.scaled_dot_product_attention(q, k, v, attn_mask=attn_mask)
    if backend == 'math':
        return math_attention(q, k, v, mask)
    if backend == 'xformers':
        if not q.is_cuda:
            raise ValueError(
                f"attention backend 'xformers' runs on CUDA only, but the tensors are on "
                f"{q.device}. Use backend='auto' or 'sdpa'.")
        import xformers.ops as xops  # imported lazily: optional, CUDA-only dependency
        # xformers takes (N, L, H, d).
        bias = None if mask is None else _xformers_bias(mask, q)
        out = xops.memory_efficient_attention(
            q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2), attn_bias=bias)
        return out.transpose(1, 2)
    raise ValueError(f'Unknown attention backend {backend!r}; choose one of {ATTENTION_BACKENDS}.')


@MODELS.register_module()
class Attention(nn.Module):
    """Self-attention with optional qk-norm and rotary positions.

    Args:
        dim: token width; must be divisible by ``num_heads``.
        num_heads: attention heads.
        qkv_bias: bias in the q/k/v projection (Llama: none).
        proj_bias: bias in the output projection.
        qk_norm: normalise queries and keys per head (before RoPE).
        norm_type: shorthand for the ``qk_norm`` layers, ``'rmsnorm'`` (default) or
            ``'layernorm'``.
        backend: one of :data:`ATTENTION_BACKENDS`.
        norm: config of the ``qk_norm`` layers instead of ``norm_type``, e.g.
            ``dict(type='LayerNorm')``; ``dim`` is filled in with the head width.

    ``backend`` and ``qkv`` stay attributes: ``vitok_mm.analysis`` finds attention
    modules by them to count FLOPs on the math backend.

    Shapes: ``x (N, L, dim)``, ``rope`` a ``(cos, sin)`` pair of ``(L, head_dim/2)``
    tables (``(N, L, head_dim/2)`` for a packed batch) or None, ``mask (N, L)`` bool or
    None -> ``(N, L, dim)``. With a mask, padding tokens are neither attended to nor
    attend: their outputs are zero.
    """

    def __init__(self, dim: int, num_heads: int, qkv_bias: bool = False, proj_bias: bool = False,
                 qk_norm: bool = False, norm_type: Optional[str] = None, backend: str = 'auto',
                 norm: Optional[dict] = None):
        super().__init__()
        self.num_heads = num_heads
        self.head_dim = head_dim_of(dim, num_heads)
        self.backend = check_backend(backend)
        norm = norm_config(norm_type, norm)
        self.qkv = Linear(dim, 3 * dim, bias=qkv_bias)
        self.q_norm = self._qk_norm(norm) if qk_norm else nn.Identity()
        self.k_norm = self._qk_norm(norm) if qk_norm else nn.Identity()
        self.proj = Linear(dim, dim, bias=proj_bias)

    def _qk_norm(self, norm: dict) -> nn.Module:
        return build_layer(norm, 'norm', fixed=dict(dim=self.head_dim), known=NORM_TYPES.values())

    def forward(self, x: torch.Tensor,
                rope: Optional[Tuple[torch.Tensor, torch.Tensor]] = None,
                mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        n, length, dim = x.shape
        qkv = self.qkv(x).view(n, length, 3, self.num_heads, self.head_dim)
        q, k, v = qkv.permute(2, 0, 3, 1, 4).unbind(0)  # each (N, H, L, d)
        q, k = self.q_norm(q), self.k_norm(k)
        if rope is not None:
            q, k = apply_rotary(q, *rope), apply_rotary(k, *rope)
        out = multi_head_attention(q, k, v, self.backend, mask)
        if mask is not None:
            out = out * mask[:, None, :, None].to(out.dtype)
        return self.proj(out.transpose(1, 2).reshape(n, length, dim))

    def extra_repr(self) -> str:
        return f'num_heads={self.num_heads}, head_dim={self.head_dim}, backend={self.backend!r}'
