"""PatchGAN (Isola et al. 2017): a real/fake logit per overlapping patch, 2D or 3D."""
import torch
from torch import nn

from vitok_mm.registry import MODELS

from .base import Discriminator

NORM_TYPES = ('batch', 'group', 'none')


def _norm(norm_type: str, channels: int, dims: int) -> nn.Module:
    if norm_type == 'batch':
        return (nn.BatchNorm2d if dims == 2 else nn.BatchNorm3d)(channels)
    if norm_type == 'group':
        return nn.GroupNorm(min(32, channels), channels)
    return nn.Identity()


@MODELS.register_module()
class PatchGANDiscriminator(Discriminator):
    """Images ``(N, C, H, W) -> (N, 1, H', W')`` (``dims=2``) or videos
    ``(N, C, T, H, W) -> (N, 1, T, H', W')`` (``dims=3``): one logit per receptive field.

    ``num_layers`` stride-2 4x4 convolutions (channels doubling up to 8 x
    ``base_channels``), then two stride-1 4x4 convolutions; each spatial halving
    shrinks H' by about 2. With ``dims=3`` every kernel also spans
    ``temporal_kernel`` frames with stride 1, so T is kept.

    Args:
        in_channels: C.
        base_channels: channels of the first layer.
        num_layers: stride-2 layers (3 gives a 70x70 receptive field).
        norm_type: ``'batch'`` (pix2pix), ``'group'`` or ``'none'``.
        dims: 2 for images, 3 for videos.
        temporal_kernel: frames each 3D kernel spans (odd).
    """

    def __init__(self, in_channels: int = 3, base_channels: int = 64, num_layers: int = 3,
                 norm_type: str = 'batch', dims: int = 2, temporal_kernel: int = 3):
        super().__init__()
        if norm_type not in NORM_TYPES:
            raise ValueError(f'norm_type must be one of {NORM_TYPES}, got {norm_type!r}.')
        if dims not in (2, 3):
            raise ValueError(f'dims must be 2 (images) or 3 (videos), got {dims}.')
        if num_layers < 1:
            raise ValueError(f'num_layers must be >= 1, got {num_layers}.')
        if temporal_kernel < 1 or temporal_kernel % 2 == 0:
            raise ValueError(f'temporal_kernel must be odd, got {temporal_kernel}.')
        self.dims = dims
        self.in_channels = in_channels
        conv = nn.Conv2d if dims == 2 else nn.Conv3d

        def layer(cin, cout, stride, norm=True):
            if dims == 2:
                shape = dict(kernel_size=4, stride=stride, padding=1)
            else:
                shape = dict(kernel_size=(temporal_kernel, 4, 4), stride=(1, stride, stride),
                             padding=(temporal_kernel // 2, 1, 1))
            return [conv(cin, cout, bias=not norm or norm_type == 'none', **shape),
                    _norm(norm_type if norm else 'none', cout, dims), nn.LeakyReLU(0.2)]

        widths = [base_channels * min(2 ** i, 8) for i in range(num_layers + 1)]
        layers = layer(in_channels, widths[0], 2, norm=False)
        for cin, cout in zip(widths[:num_layers - 1], widths[1:num_layers]):
            layers += layer(cin, cout, 2)
        layers += layer(widths[num_layers - 1], widths[num_layers], 1)
        layers.append(conv(widths[num_layers], 1, **(
            dict(kernel_size=4, stride=1, padding=1) if dims == 2 else
            dict(kernel_size=(temporal_kernel, 4, 4), stride=1,
                 padding=(temporal_kernel // 2, 1, 1)))))
        self.layers = nn.Sequential(*layers)

    def forward(self, x):
        if x.ndim != 2 + self.dims or x.shape[1] != self.in_channels:
            layout = '(N, C, H, W)' if self.dims == 2 else '(N, C, T, H, W)'
            raise ValueError(f'PatchGANDiscriminator(dims={self.dims}) takes {layout} with '
                             f'C={self.in_channels}, got {tuple(x.shape)}.')
        if self.dims == 2:  # NHWC: the fast layout for oneDNN and cuDNN convolutions
            x = x.contiguous(memory_format=torch.channels_last)
        return self.layers(x)
