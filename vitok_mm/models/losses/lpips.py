"""LPIPS perceptual loss (the ``lpips`` package, VGG16 trunk), weights loaded lazily and offline."""
from typing import Optional

import torch
from torch import nn

from vitok_mm.feature_networks import build_lpips
from vitok_mm.registry import MODELS


@MODELS.register_module()
class LPIPSLoss(nn.Module):
    """``loss_weight * LPIPS(pred, target)``, averaged over the batch (and frames of video).

    Args:
        loss_weight: weight of the term.
        vgg_weights: path to ``vgg16-397923af.pth`` (or its folder); default: the
            torch hub cache.
        pretrained: ``False`` keeps a random VGG16 trunk; must be said explicitly.

    The network is built on first use, so building a model never needs the weights,
    and it is kept out of the model's state dict and optimizer. Inputs are pixels in
    [-1, 1], ``(N, 3, H, W)`` or ``(N, 3, T, H, W)`` (per-frame LPIPS).
    """

    def __init__(self, loss_weight: float = 1.0, vgg_weights: Optional[str] = None,
                 pretrained: bool = True, loss_name: str = 'loss_lpips'):
        super().__init__()
        self.loss_weight = loss_weight
        self.vgg_weights = vgg_weights
        self.pretrained = pretrained
        self.loss_name = loss_name
        # A plain attribute, not a submodule: frozen, never saved, never optimised.
        self.__dict__['_network'] = None

    def network(self, device: torch.device) -> nn.Module:
        if self._network is None:
            self.__dict__['_network'] = build_lpips(self.vgg_weights, self.pretrained)
        if next(self._network.parameters()).device != device:
            self._network.to(device)
        return self._network

    def forward(self, pred: torch.Tensor, target: torch.Tensor, posterior=None) -> torch.Tensor:
        if pred.ndim == 5:  # (N, C, T, H, W) -> frames
            pred, target = (x.transpose(1, 2).flatten(0, 1) for x in (pred, target))
        network = self.network(pred.device)
        return self.loss_weight * network(pred, target).mean()
