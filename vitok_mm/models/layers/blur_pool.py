"""Anti-aliased downsampling: a fixed binomial blur, then stride 2 (Zhang 2019; StyleGAN2)."""
from typing import Sequence

import torch
import torch.nn.functional as F
from torch import nn


def binomial_kernel(taps: Sequence[int] = (1, 3, 3, 1)) -> torch.Tensor:
    """The separable 2D kernel ``outer(taps, taps)``, normalised to sum 1."""
    k = torch.tensor(taps, dtype=torch.float32)
    kernel = torch.outer(k, k)
    return kernel / kernel.sum()


class BlurPool2d(nn.Module):
    """``(N, C, H, W) -> (N, C, H / 2, W / 2)``: blur with a binomial kernel, keep every
    second pixel. Plain strided convolutions alias high frequencies, which a
    discriminator then learns to exploit instead of judging image content.

    Args:
        channels: C, for the depthwise kernel.
        taps: the 1D binomial filter, ``(1, 3, 3, 1)`` as in StyleGAN2.
    """

    def __init__(self, channels: int, taps: Sequence[int] = (1, 3, 3, 1)):
        super().__init__()
        if len(taps) < 2:
            raise ValueError(f'BlurPool2d needs at least 2 taps, got {tuple(taps)}.')
        self.channels = channels
        kernel = binomial_kernel(taps)[None, None].repeat(channels, 1, 1, 1)
        self.register_buffer('kernel', kernel, persistent=False)
        # Same-size padding for an even kernel is asymmetric: (k - 1) // 2 before, k // 2 after.
        k = len(taps)
        self.padding = ((k - 1) // 2, k // 2, (k - 1) // 2, k // 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim != 4 or x.shape[1] != self.channels:
            raise ValueError(f'BlurPool2d({self.channels}) takes (N, {self.channels}, H, W), '
                             f'got {tuple(x.shape)}.')
        x = F.pad(x, self.padding, mode='reflect')
        return F.conv2d(x, self.kernel.to(x.dtype), stride=2, groups=self.channels)
