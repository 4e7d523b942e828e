"""Normalisation layers selectable by name from a config."""
from torch import nn

NORM_TYPES = ('rmsnorm', 'layernorm')


def build_norm(norm_type: str, dim: int, eps: float = 1e-6) -> nn.Module:
    """Return the normalisation named by ``norm_type`` over the last ``dim`` channels.

    ``'rmsnorm'`` (Llama's, the default of every ViTok block) or ``'layernorm'``.
    """
    if norm_type == 'rmsnorm':
        return nn.RMSNorm(dim, eps=eps)
    if norm_type == 'layernorm':
        return nn.LayerNorm(dim, eps=eps)
    raise ValueError(f'Unknown norm_type {norm_type!r}; choose one of {NORM_TYPES}.')
