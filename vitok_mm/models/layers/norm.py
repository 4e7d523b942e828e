"""Normalisation layers of the towers, registered so that a config can name them.

Config names: ``dict(type='RMSNorm')`` (Llama's, the default of every ViTok block)
and ``dict(type='LayerNorm')``; both take ``dim`` (filled in by the owning block)
and default to ``eps=1e-6``. The shorthands ``norm_type='rmsnorm'`` /
``'layernorm'`` of a block or tower stand for these two configs.

MMEngine's root registry, once ``mmcv.cnn`` is imported, holds ``'LN'``
(``nn.LayerNorm`` with eps 1e-5 and no ``dim`` argument); a block cannot use it.
"""
from typing import Optional

import torch
import torch.nn.functional as F
from torch import nn

from vitok_mm.registry import MODELS

from .build import build_layer, shorthand_config

#: ``norm_type`` shorthand -> registered norm.
NORM_TYPES = {'rmsnorm': 'RMSNorm', 'layernorm': 'LayerNorm'}


def _check_dim(cls: type, dim: int) -> None:
    if not isinstance(dim, int) or dim < 1:
        raise ValueError(f'{cls.__name__} needs a positive channel count dim, got {dim!r}.')


@MODELS.register_module()
class RMSNorm(nn.RMSNorm):
    """``x / rms(x) * weight`` over the last ``dim`` channels; shapes ``(..., dim) -> (..., dim)``.

    ``nn.RMSNorm`` that also takes the fused kernel under autocast: under bf16
    autocast the activations arrive in bf16 while the weight stays fp32, and
    PyTorch then falls back to a slow unfused path. Casting the weight to the
    input's dtype keeps the fused kernel, which accumulates in fp32 internally.
    """

    def __init__(self, dim: int, eps: float = 1e-6, elementwise_affine: bool = True):
        _check_dim(type(self), dim)
        super().__init__(dim, eps=eps, elementwise_affine=elementwise_affine)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        weight = self.weight.to(x.dtype) if self.weight is not None else None
        return F.rms_norm(x, self.normalized_shape, weight, self.eps)


@MODELS.register_module()
class LayerNorm(nn.LayerNorm):
    """``nn.LayerNorm`` over the last ``dim`` channels with ViTok's (and timm ViT's) eps 1e-6.

    Shapes: ``(..., dim) -> (..., dim)``.
    """

    def __init__(self, dim: int, eps: float = 1e-6, elementwise_affine: bool = True,
                 bias: bool = True):
        _check_dim(type(self), dim)
        super().__init__(dim, eps=eps, elementwise_affine=elementwise_affine, bias=bias)


def norm_config(norm_type: Optional[str] = None, norm: Optional[dict] = None,
                default: str = 'rmsnorm') -> dict:
    """The norm config meant by a ``norm_type`` shorthand or a ``norm`` config (at most one).

    Neither given: the ``default`` shorthand's config.

    Raises:
        ValueError: both are given, or ``norm_type`` is not one of :data:`NORM_TYPES`.
    """
    return shorthand_config('norm', 'norm', norm_type, norm, NORM_TYPES, default)


def build_norm(norm_type: str, dim: int, eps: float = 1e-6) -> nn.Module:
    """The normalisation named by ``norm_type`` (a key of :data:`NORM_TYPES`) over ``dim``."""
    return build_layer(dict(norm_config(norm_type), eps=eps), 'norm', fixed=dict(dim=dim),
                       known=NORM_TYPES.values())
