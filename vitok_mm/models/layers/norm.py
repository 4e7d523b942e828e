"""Normalisation layers selectable by name from a config."""
import torch
import torch.nn.functional as F
from torch import nn

NORM_TYPES = ('rmsnorm', 'layernorm')


class RMSNorm(nn.RMSNorm):
    """``nn.RMSNorm`` that also takes the fused kernel under autocast.

    Under bf16 autocast the activations arrive in bf16 while the weight stays fp32;
    PyTorch then falls back to a slow unfused path. Casting the weight to the input's
    dtype keeps the fused kernel, which accumulates in fp32 internally.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        weight = self.weight.to(x.dtype) if self.weight is not None else None
        return F.rms_norm(x, self.normalized_shape, weight, self.eps)


def build_norm(norm_type: str, dim: int, eps: float = 1e-6) -> nn.Module:
    """Return the normalisation named by ``norm_type`` over the last ``dim`` channels.

    ``'rmsnorm'`` (Llama's, the default of every ViTok block) or ``'layernorm'``.
    """
    if norm_type == 'rmsnorm':
        return RMSNorm(dim, eps=eps)
    if norm_type == 'layernorm':
        return nn.LayerNorm(dim, eps=eps)
    raise ValueError(f'Unknown norm_type {norm_type!r}; choose one of {NORM_TYPES}.')
