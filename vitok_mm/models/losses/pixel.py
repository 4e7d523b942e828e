"""Pixel reconstruction losses: L1, L2, Charbonnier, L1 of local means (low-pass) and of
neighbour differences (gradients)."""
from typing import Optional

import torch
import torch.nn.functional as F
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


@MODELS.register_module()
class LowPassL1Loss(_PixelLoss):
    """L1 between the local means of prediction and target over ``kernel_size`` squares
    (average pooling, stride ``kernel_size``; each frame of a clip alone), or with
    ``kernel_size=None`` between each channel's mean over the whole image.

    Per-pixel L1 fits medians and leaves a picture's mean colour free: a reconstruction
    can be a level or ten off in one channel at no cost the loss sees. This term charges
    exactly that low-frequency error. Shapes ``(N, C, [T,] H, W)`` -> scalar.
    """
    default_name = 'loss_lowpass'

    def __init__(self, loss_weight: float = 1.0, kernel_size: Optional[int] = None,
                 loss_name: Optional[str] = None):
        super().__init__(loss_weight, loss_name)
        if kernel_size is not None and kernel_size < 1:
            raise ValueError(f'kernel_size must be positive or None, got {kernel_size}.')
        self.kernel_size = kernel_size

    def penalty(self, diff: torch.Tensor) -> torch.Tensor:
        if diff.ndim == 5:  # (N, C, T, H, W): frames as images
            diff = diff.transpose(1, 2).flatten(0, 1)
        if self.kernel_size is None:
            return diff.mean((-2, -1)).abs()
        return F.avg_pool2d(diff, self.kernel_size, ceil_mode=True).abs()


@MODELS.register_module()
class GradientL1Loss(_PixelLoss):
    """L1 between the horizontal and vertical differences of neighbouring pixels of
    prediction and target (each frame of a clip alone), the two directions summed.

    Per-pixel L1 charges a reconstruction's value at each pixel; a decoder that predicts
    each patch on its own can be right on average inside a patch and still leave a step
    at its border, or a flat patch where the original has texture. This term charges the
    steps and the missing texture directly. Shapes ``(N, C, [T,] H, W)`` -> scalar.
    """
    default_name = 'loss_gradient'

    def penalty(self, diff: torch.Tensor) -> torch.Tensor:
        across_cols = (diff[..., :, 1:] - diff[..., :, :-1]).abs().mean()
        across_rows = (diff[..., 1:, :] - diff[..., :-1, :]).abs().mean()
        return across_cols + across_rows
