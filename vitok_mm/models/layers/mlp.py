"""Feed-forward layers of a transformer block: SwiGLU (default), GeGLU, GELU.

Config names: ``dict(type='SwiGLU')``, ``dict(type='GeGLU')``, ``dict(type='Mlp')``
(the plain GELU MLP). Each takes ``dim`` (filled in by the owning block) and either
``hidden_dim`` or ``mlp_ratio`` (the block's, unless the config gives its own). The
shorthands ``mlp_type='swiglu'`` / ``'geglu'`` / ``'gelu'`` stand for these three.
"""
from typing import Optional

import torch
import torch.nn.functional as F
from torch import nn

from vitok_mm.registry import MODELS

from .build import build_layer, shorthand_config
from .linear import Linear

#: ``mlp_type`` shorthand -> registered MLP.
MLP_TYPES = {'swiglu': 'SwiGLU', 'geglu': 'GeGLU', 'gelu': 'Mlp'}


def gated_hidden_dim(dim: int, mlp_ratio: float, multiple_of: int = 8) -> int:
    """Hidden width of a gated MLP with the parameter count of a ``mlp_ratio`` plain one.

    A gated MLP has three matrices instead of two, so its hidden width is 2/3 of
    ``mlp_ratio * dim`` (8/3 * dim for the usual ratio 4: 2048 for width 768,
    3072 for 1152), rounded up to a multiple of ``multiple_of``.
    """
    hidden = int(2 * mlp_ratio * dim / 3)
    return multiple_of * ((hidden + multiple_of - 1) // multiple_of)


def _check_sizes(cls: type, dim: int, hidden_dim: Optional[int], mlp_ratio: float) -> None:
    if dim < 1 or (hidden_dim is not None and hidden_dim < 1) or mlp_ratio <= 0:
        raise ValueError(
            f'{cls.__name__} needs positive sizes, got dim={dim}, hidden_dim={hidden_dim}, '
            f'mlp_ratio={mlp_ratio}.')


class GatedMlp(nn.Module):
    """``act(x W_gate) * (x W_up) W_down``: SwiGLU with SiLU, GeGLU with GELU.

    The gate and up projections are one matrix so that they run as one GEMM.

    Args:
        dim: token width.
        hidden_dim: width of the gated product; default
            :func:`gated_hidden_dim` ``(dim, mlp_ratio)``.
        activation: ``'silu'`` or ``'gelu'``.
        bias: biases in both projections (Llama: none).
        mlp_ratio: sizes ``hidden_dim`` when that is not given.

    Shapes: ``(..., dim) -> (..., dim)``.
    """

    def __init__(self, dim: int, hidden_dim: Optional[int] = None, activation: str = 'silu',
                 bias: bool = False, mlp_ratio: float = 4.0):
        super().__init__()
        if activation not in ('silu', 'gelu'):
            raise ValueError(f"GatedMlp activation must be 'silu' or 'gelu', got {activation!r}.")
        _check_sizes(type(self), dim, hidden_dim, mlp_ratio)
        if hidden_dim is None:
            hidden_dim = gated_hidden_dim(dim, mlp_ratio)
        self.activation = F.silu if activation == 'silu' else F.gelu
        self.gate_up = Linear(dim, 2 * hidden_dim, bias=bias)
        self.down = Linear(hidden_dim, dim, bias=bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        gate, up = self.gate_up(x).chunk(2, dim=-1)
        return self.down(self.activation(gate) * up)


@MODELS.register_module()
class SwiGLU(GatedMlp):
    """:class:`GatedMlp` with SiLU: ``silu(x W_gate) * (x W_up) W_down``.

    Shapes: ``(..., dim) -> (..., dim)``.
    """

    def __init__(self, dim: int, hidden_dim: Optional[int] = None, bias: bool = False,
                 mlp_ratio: float = 4.0):
        super().__init__(dim, hidden_dim, activation='silu', bias=bias, mlp_ratio=mlp_ratio)


@MODELS.register_module()
class GeGLU(GatedMlp):
    """:class:`GatedMlp` with GELU: ``gelu(x W_gate) * (x W_up) W_down``.

    Shapes: ``(..., dim) -> (..., dim)``.
    """

    def __init__(self, dim: int, hidden_dim: Optional[int] = None, bias: bool = False,
                 mlp_ratio: float = 4.0):
        super().__init__(dim, hidden_dim, activation='gelu', bias=bias, mlp_ratio=mlp_ratio)


@MODELS.register_module()
class Mlp(nn.Module):
    """Classic ViT MLP ``GELU(x W_1) W_2``; ``hidden_dim`` defaults to ``int(mlp_ratio * dim)``.

    ``approximate='tanh'`` is the tanh GELU of DiT's MLP (``'none'``: the exact one).

    Shapes: ``(..., dim) -> (..., dim)``.
    """

    def __init__(self, dim: int, hidden_dim: Optional[int] = None, bias: bool = True,
                 mlp_ratio: float = 4.0, approximate: str = 'none'):
        super().__init__()
        _check_sizes(type(self), dim, hidden_dim, mlp_ratio)
        if approximate not in ('none', 'tanh'):
            raise ValueError(f"Mlp approximate must be 'none' or 'tanh', got {approximate!r}.")
        if hidden_dim is None:
            hidden_dim = int(mlp_ratio * dim)
        self.approximate = approximate
        self.fc1 = Linear(dim, hidden_dim, bias=bias)
        self.fc2 = Linear(hidden_dim, dim, bias=bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(F.gelu(self.fc1(x), approximate=self.approximate))


def mlp_config(mlp_type: Optional[str] = None, mlp: Optional[dict] = None,
               default: str = 'swiglu') -> dict:
    """The MLP config meant by an ``mlp_type`` shorthand or an ``mlp`` config (at most one).

    Neither given: the ``default`` shorthand's config.

    Raises:
        ValueError: both are given, or ``mlp_type`` is not one of :data:`MLP_TYPES`.
    """
    return shorthand_config('mlp', 'MLP', mlp_type, mlp, MLP_TYPES, default)


def build_mlp(mlp_type: str, dim: int, mlp_ratio: float) -> nn.Module:
    """The feed-forward layer named by ``mlp_type`` (a key of :data:`MLP_TYPES`)."""
    return build_layer(mlp_config(mlp_type), 'mlp', fixed=dict(dim=dim, mlp_ratio=mlp_ratio),
                       known=MLP_TYPES.values())
