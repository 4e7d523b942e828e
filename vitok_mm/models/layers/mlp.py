"""Feed-forward layers of a transformer block: SwiGLU (default), GeGLU, GELU."""
import torch
import torch.nn.functional as F
from torch import nn

from .linear import Linear

MLP_TYPES = ('swiglu', 'geglu', 'gelu')


def gated_hidden_dim(dim: int, mlp_ratio: float, multiple_of: int = 8) -> int:
    """Hidden width of a gated MLP with the parameter count of a ``mlp_ratio`` plain one.

    A gated MLP has three matrices instead of two, so its hidden width is 2/3 of
    ``mlp_ratio * dim`` (8/3 * dim for the usual ratio 4: 2048 for width 768,
    3072 for 1152), rounded up to a multiple of ``multiple_of``.
    """
    hidden = int(2 * mlp_ratio * dim / 3)
    return multiple_of * ((hidden + multiple_of - 1) // multiple_of)


class GatedMlp(nn.Module):
    """``act(x W_gate) * (x W_up) W_down``: SwiGLU with SiLU, GeGLU with GELU.

    The gate and up projections are one matrix so that they run as one GEMM.
    Shapes: ``(..., dim) -> (..., dim)``.
    """

    def __init__(self, dim: int, hidden_dim: int, activation: str = 'silu', bias: bool = False):
        super().__init__()
        if activation not in ('silu', 'gelu'):
            raise ValueError(f"GatedMlp activation must be 'silu' or 'gelu', got {activation!r}.")
        self.activation = F.silu if activation == 'silu' else F.gelu
        self.gate_up = Linear(dim, 2 * hidden_dim, bias=bias)
        self.down = Linear(hidden_dim, dim, bias=bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        gate, up = self.gate_up(x).chunk(2, dim=-1)
        return self.down(self.activation(gate) * up)


class Mlp(nn.Module):
    """Classic ViT MLP ``GELU(x W_1) W_2``. Shapes: ``(..., dim) -> (..., dim)``."""

    def __init__(self, dim: int, hidden_dim: int, bias: bool = True):
        super().__init__()
        self.fc1 = Linear(dim, hidden_dim, bias=bias)
        self.fc2 = Linear(hidden_dim, dim, bias=bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(F.gelu(self.fc1(x)))


def build_mlp(mlp_type: str, dim: int, mlp_ratio: float) -> nn.Module:
    """Return the feed-forward layer named by ``mlp_type`` (one of :data:`MLP_TYPES`)."""
    if mlp_type == 'swiglu':
        return GatedMlp(dim, gated_hidden_dim(dim, mlp_ratio), activation='silu')
    if mlp_type == 'geglu':
        return GatedMlp(dim, gated_hidden_dim(dim, mlp_ratio), activation='gelu')
    if mlp_type == 'gelu':
        return Mlp(dim, int(mlp_ratio * dim))
    raise ValueError(f'Unknown mlp_type {mlp_type!r}; choose one of {MLP_TYPES}.')
