"""A StyleGAN2-style residual discriminator (Karras et al. 2020), as in the paper's stage 2."""
import math
from typing import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from vitok_mm.registry import MODELS

from ..layers.blur_pool import BlurPool2d
from ..layers.minibatch_std import MinibatchStdDev
from .base import Discriminator


class ResidualDownBlock(nn.Module):
    """``(N, C_in, H, W) -> (N, C_out, H / 2, W / 2)``: two 3x3 convolutions with LeakyReLU(0.2)
    then a blur-pool, plus a blur-pooled 1x1 skip; the sum is scaled by 1/sqrt(2) so the
    variance stays put through the depth."""

    def __init__(self, in_channels: int, out_channels: int, taps: Sequence[int]):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, in_channels, 3, padding=1)
        self.conv2 = nn.Conv2d(in_channels, out_channels, 3, padding=1)
        self.down = BlurPool2d(out_channels, taps)
        self.skip_down = BlurPool2d(in_channels, taps)
        self.skip = nn.Conv2d(in_channels, out_channels, 1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.leaky_relu(self.conv1(x), 0.2)
        y = self.down(F.leaky_relu(self.conv2(y), 0.2))
        return (y + self.skip(self.skip_down(x))) / math.sqrt(2)


@MODELS.register_module()
class StyleGANDiscriminator(Discriminator):
    """``(N, C, H, W)`` pixels in [-1, 1] -> ``(N, 1)`` logits (one per image).

    A 1x1 convolution from pixels, residual blocks halving the resolution down to 4x4
    (blur-pool downsampling, LeakyReLU 0.2), an optional minibatch standard deviation,
    a 3x3 convolution and two linear layers.

    Args:
        image_size: H = W of the inputs; ``image_size / 4`` must be a power of two.
        in_channels: C (3 for RGB).
        base_channels: channels at full resolution; doubled at each halving...
        max_channels: ...up to this cap.
        mbstd_group_size: group size of the minibatch standard deviation; 0 disables it.
        mbstd_channels: statistics it appends.
        blur_taps: the binomial filter of the downsampling.
    """

    def __init__(self, image_size: int = 256, in_channels: int = 3, base_channels: int = 64,
                 max_channels: int = 512, mbstd_group_size: int = 4, mbstd_channels: int = 1,
                 blur_taps: Sequence[int] = (1, 3, 3, 1)):
        super().__init__()
        halvings = math.log2(image_size / 4) if image_size >= 8 else -1
        if halvings < 1 or halvings != int(halvings):
            raise ValueError(f'StyleGANDiscriminator needs image_size = 4 x 2^k (k >= 1), got '
                             f'{image_size}; set image_size to the training crop size.')
        if base_channels < 1 or max_channels < base_channels:
            raise ValueError(f'need 1 <= base_channels <= max_channels, got {base_channels} '
                             f'and {max_channels}.')
        self.image_size = image_size
        self.in_channels = in_channels
        widths = [min(base_channels * 2 ** i, max_channels) for i in range(int(halvings) + 1)]
        self.from_pixels = nn.Conv2d(in_channels, widths[0], 1)
        self.blocks = nn.Sequential(*[ResidualDownBlock(a, b, blur_taps)
                                      for a, b in zip(widths[:-1], widths[1:])])
        width = widths[-1]
        self.mbstd = (MinibatchStdDev(mbstd_group_size, mbstd_channels)
                      if mbstd_group_size > 0 else None)
        extra = mbstd_channels if self.mbstd is not None else 0
        self.conv = nn.Conv2d(width + extra, width, 3, padding=1)
        self.fc = nn.Linear(width * 16, width)
        self.out = nn.Linear(width, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        expected = (self.in_channels, self.image_size, self.image_size)
        if x.ndim != 4 or tuple(x.shape[1:]) != expected:
            raise ValueError(f'StyleGANDiscriminator takes (N, {", ".join(map(str, expected))}) '
                             f'images, got {tuple(x.shape)}; for video use PerFrameDiscriminator '
                             'or a PatchGANDiscriminator with dims=3.')
        # oneDNN (CPU) and cuDNN run these convolutions fastest on NHWC: ~1.4x on CPU.
        x = x.contiguous(memory_format=torch.channels_last)
        x = self.blocks(F.leaky_relu(self.from_pixels(x), 0.2))    # (N, C, 4, 4)
        if self.mbstd is not None:
            x = self.mbstd(x)
        x = F.leaky_relu(self.conv(x), 0.2)
        x = F.leaky_relu(self.fc(x.flatten(1)), 0.2)
        return self.out(x)
