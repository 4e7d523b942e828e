"""Per-pixel reconstruction losses: L1, L2, Charbonnier."""
from typing import Optional

import torch
from torch import nn

from vitok_mm.registry import MODELS


class _PixelLoss(nn.Module):
    """``loss_weight * mean(f(pred - target))``; shapes ``(N, C, [T,] H, W)`` -> scalar."""

    default_name = ''

    def __init__(self, loss_weight: float = 1.0, loss_name: Optional[str] = None):
        super().__init__()
        self.loss_weight = loss_weight
        self.loss_name = loss_name or self.default_name

    def penalty(self, diff: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def forward(self, pred: torch.Tensor, target: torch.Tensor, posterior=None) -> torch.Tensor:
        if pred.shape != target.shape:
            raise ValueError(f'{type(self).__name__}: prediction {tuple(pred.shape)} and target '
                             f'{tuple(target.shape)} differ in shape.')
        return self.loss_weight * self.penalty(pred - target).mean()


@MODELS.register_module()
class L1Loss(_PixelLoss):
    """Mean absolute error."""
    default_name = 'loss_l1'

    def penalty(self, diff: torch.Tensor) -> torch.Tensor:
        return diff.abs()


@MODELS.register_module()
class L2Loss(_PixelLoss):
    """Mean squared error."""
    default_name = 'loss_l2'

    def penalty(self, diff: torch.Tensor) -> torch.Tensor:
        return diff.square()


@MODELS.register_module()
class CharbonnierLoss(_PixelLoss):
    """``sqrt(diff^2 + eps^2)``: L1 away from zero, smooth at zero."""
    default_name = 'loss_charbonnier'

    def __init__(self, loss_weight: float = 1.0, eps: float = 1e-3,
                 loss_name: Optional[str] = None):
        super().__init__(loss_weight, loss_name)
        self.eps = eps

    def penalty(self, diff: torch.Tensor) -> torch.Tensor:
        return torch.sqrt(diff.square() + self.eps ** 2)
