"""Minibatch standard deviation (Karras et al. 2018): lets a discriminator see a batch's
variety, so a generator that collapses to one output is caught."""
import torch
from torch import nn


class MinibatchStdDev(nn.Module):
    """``(N, C, H, W) -> (N, C + num_channels, H, W)``.

    The batch is split into groups of ``group_size`` samples; within each group the
    standard deviation of every feature is taken over the group, averaged over the
    features of each of ``num_channels`` channel slices and the spatial positions, and
    appended as constant feature maps to every sample of the group.

    Args:
        group_size: samples per group; the largest divisor of N up to it is used, so any
            batch size works (a batch of one gets zeros).
        num_channels: statistics appended (channel slices).
    """

    def __init__(self, group_size: int = 4, num_channels: int = 1, eps: float = 1e-8):
        super().__init__()
        if group_size < 1 or num_channels < 1:
            raise ValueError(f'group_size and num_channels must be >= 1, got {group_size} '
                             f'and {num_channels}.')
        self.group_size = group_size
        self.num_channels = num_channels
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, c, h, w = x.shape
        if c % self.num_channels:
            raise ValueError(f'MinibatchStdDev: {c} channels do not split into '
                             f'{self.num_channels} slices.')
        g = max(d for d in range(1, min(self.group_size, n) + 1) if n % d == 0)
        y = x.float().reshape(g, n // g, self.num_channels, c // self.num_channels, h, w)
        std = (y.var(dim=0, unbiased=False) + self.eps).sqrt()     # (N/g, s, C/s, H, W)
        if g == 1:
            std = torch.zeros_like(std)
        std = std.mean(dim=(2, 3, 4))                                # (N/g, s)
        std = std.reshape(1, n // g, self.num_channels, 1, 1).expand(g, -1, -1, h, w)
        return torch.cat([x, std.reshape(n, self.num_channels, h, w).to(x.dtype)], dim=1)
