"""The Kinetics-400 I3D of FVD (Carreira & Zisserman's Inflated Inception-v1).

FVD (Unterthiner et al.) compares the 400-d logits of this network on 224x224 clips
scaled to [-1, 1]. Two weight formats load:

- the TorchScript detector StyleGAN-V's FVD code distributes (``i3d_torchscript.pt``),
  called as ``detector(videos, rescale=False, resize=False, return_features=True)``;
- a state dict for :class:`InceptionI3d` below (the usual PyTorch port's layer names).
"""
from collections import OrderedDict
from typing import List, Optional, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from .weights import find_weight_file


def _pad_same(x: torch.Tensor, kernel: List[int], stride: List[int]) -> torch.Tensor:
    """TF 'SAME' padding (the extra pixel on the far side) of the last 3 axes."""
    pads: List[int] = []
    for axis in range(len(kernel) - 1, -1, -1):  # F.pad lists the last axis first
        size, k, s = x.shape[2 + axis], kernel[axis], stride[axis]
        total = max(((size + s - 1) // s - 1) * s + k - size, 0)
        pads.append(total // 2)
        pads.append(total - total // 2)
    return F.pad(x, pads)


class Unit3D(nn.Module):
    """Conv3d (TF 'SAME' padding, no bias) + BatchNorm + ReLU. ``(N, C, T, H, W)``."""

    def __init__(self, in_channels: int, out_channels: int, kernel=(1, 1, 1), stride=(1, 1, 1),
                 batch_norm: bool = True, activation: bool = True, bias: bool = False):
        super().__init__()
        self.kernel, self.stride = list(kernel), list(stride)
        self.conv3d = nn.Conv3d(in_channels, out_channels, tuple(kernel), tuple(stride),
                                bias=bias)
        self.bn = nn.BatchNorm3d(out_channels, eps=1e-3, momentum=0.01) if batch_norm else None
        self.activation = activation

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv3d(_pad_same(x, self.kernel, self.stride))
        if self.bn is not None:
            x = self.bn(x)
        return F.relu(x) if self.activation else x


class MaxPool3dSame(nn.Module):
    def __init__(self, kernel, stride):
        super().__init__()
        self.kernel, self.stride = list(kernel), list(stride)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.max_pool3d(_pad_same(x, self.kernel, self.stride), self.kernel, self.stride)


class InceptionModule(nn.Module):
    """Four branches: 1x1; 1x1 -> 3x3; 1x1 -> 3x3; pool -> 1x1; concatenated."""

    def __init__(self, in_channels: int, widths: Sequence[int]):
        super().__init__()
        self.b0 = Unit3D(in_channels, widths[0])
        self.b1a = Unit3D(in_channels, widths[1])
        self.b1b = Unit3D(widths[1], widths[2], kernel=(3, 3, 3))
        self.b2a = Unit3D(in_channels, widths[3])
        self.b2b = Unit3D(widths[3], widths[4], kernel=(3, 3, 3))
        self.b3a = MaxPool3dSame((3, 3, 3), (1, 1, 1))
        self.b3b = Unit3D(in_channels, widths[5])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.b0(x), self.b1b(self.b1a(x)), self.b2b(self.b2a(x)),
                          self.b3b(self.b3a(x))], dim=1)


class InceptionI3d(nn.Module):
    """I3D up to its 400 Kinetics logits, averaged over the remaining time steps.

    Input: ``(N, 3, T, 224, 224)`` in [-1, 1] (T >= 9). Output: ``(N, 400)``.
    """

    MIXED = [('Mixed_3b', 192, (64, 96, 128, 16, 32, 32)),
             ('Mixed_3c', 256, (128, 128, 192, 32, 96, 64)),
             ('MaxPool3d_4a_3x3', (3, 3, 3), (2, 2, 2)),
             ('Mixed_4b', 480, (192, 96, 208, 16, 48, 64)),
             ('Mixed_4c', 512, (160, 112, 224, 24, 64, 64)),
             ('Mixed_4d', 512, (128, 128, 256, 24, 64, 64)),
             ('Mixed_4e', 512, (112, 144, 288, 32, 64, 64)),
             ('Mixed_4f', 528, (256, 160, 320, 32, 128, 128)),
             ('MaxPool3d_5a_2x2', (2, 2, 2), (2, 2, 2)),
             ('Mixed_5b', 832, (256, 160, 320, 32, 128, 128)),
             ('Mixed_5c', 832, (384, 192, 384, 48, 128, 128))]

    def __init__(self, num_classes: int = 400):
        super().__init__()
        layers = [('Conv3d_1a_7x7', Unit3D(3, 64, (7, 7, 7), (2, 2, 2))),
                  ('MaxPool3d_2a_3x3', MaxPool3dSame((1, 3, 3), (1, 2, 2))),
                  ('Conv3d_2b_1x1', Unit3D(64, 64)),
                  ('Conv3d_2c_3x3', Unit3D(64, 192, (3, 3, 3))),
                  ('MaxPool3d_3a_3x3', MaxPool3dSame((1, 3, 3), (1, 2, 2)))]
        for name, first, second in self.MIXED:
            if name.startswith('MaxPool'):
                layers.append((name, MaxPool3dSame(first, second)))
            else:
                layers.append((name, InceptionModule(first, second)))
        self.features = nn.Sequential(OrderedDict(layers))
        self.logits = Unit3D(1024, num_classes, batch_norm=False, activation=False, bias=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.features(x)
        x = F.avg_pool3d(x, kernel_size=(2, 7, 7), stride=1)
        return self.logits(x).mean(dim=(2, 3, 4))


class I3DFeatures(nn.Module):
    """uint8 clips ``(N, T, H, W, 3)`` -> FVD features ``(N, 400)``: resized to 224x224
    (bilinear), scaled to [-1, 1], through either weight format."""

    def __init__(self, network: nn.Module, torchscript: bool):
        super().__init__()
        self.network = network
        self.torchscript = torchscript

    @torch.no_grad()
    def forward(self, clips: torch.Tensor) -> torch.Tensor:
        n, t = clips.shape[:2]
        x = clips.permute(0, 1, 4, 2, 3).flatten(0, 1).float()  # (N*T, 3, H, W)
        x = F.interpolate(x, size=(224, 224), mode='bilinear', align_corners=False)
        x = (x / 127.5 - 1).unflatten(0, (n, t)).permute(0, 2, 1, 3, 4)  # (N, 3, T, H, W)
        if self.torchscript:
            return self.network(x, rescale=False, resize=False, return_features=True).float()
        return self.network(x).float()


def build_i3d(weights: Optional[str] = None) -> I3DFeatures:
    """The FVD feature extractor: ``weights`` (a file, its folder or a URL) or
    ``i3d_torchscript.pt`` in the torch hub cache, downloaded from StyleGAN-V's URL on
    first use.

    A TorchScript archive (StyleGAN-V's ``i3d_torchscript.pt``) or a state dict of
    :class:`InceptionI3d`.
    """
    weights = find_weight_file('i3d', weights)
    try:
        network = torch.jit.load(weights, map_location='cpu')
        return I3DFeatures(network.eval(), torchscript=True)
    except RuntimeError:
        pass  # not a TorchScript archive: a state dict
    state = torch.load(weights, map_location='cpu', weights_only=True)
    network = InceptionI3d()
    missing, unexpected = network.load_state_dict(state, strict=False)
    if missing or unexpected:
        raise ValueError(f'{weights} is not an InceptionI3d state dict: missing '
                         f'{missing[:3]}, unexpected {unexpected[:3]}.')
    return I3DFeatures(network.eval(), torchscript=False)
