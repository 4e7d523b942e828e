"""LPIPS perceptual loss (the ``lpips`` package, VGG16 trunk), weights loaded lazily and offline."""
import warnings
from typing import Dict, Optional

import torch
from torch import nn

from vitok_mm.registry import MODELS
from vitok_mm.utils.weights import find_weights

#: torchvision's ImageNet VGG16, the trunk LPIPS was calibrated on.
VGG16_FILE = 'vgg16-397923af.pth'


def lpips_trunk_state_dict(vgg_state: Dict[str, torch.Tensor],
                           network: nn.Module) -> Dict[str, torch.Tensor]:
    """Map torchvision ``features.<i>.*`` keys onto ``lpips``' ``slice<k>.<i>.*`` modules."""
    slice_of = {}
    for name in network.state_dict():
        slice_name, index = name.split('.')[:2]
        slice_of[index] = slice_name
    mapped = {}
    for key, value in vgg_state.items():
        parts = key.split('.')
        if parts[0] != 'features':
            continue  # the classifier is not part of LPIPS
        if parts[1] in slice_of:
            mapped['.'.join([slice_of[parts[1]], *parts[1:]])] = value
    return mapped


def build_lpips(vgg_weights: Optional[str] = None, pretrained: bool = True) -> nn.Module:
    """An ``lpips.LPIPS(net='vgg')`` in eval mode with frozen parameters.

    The linear calibration layers ship inside the ``lpips`` package; the VGG16 trunk
    is read from ``vgg_weights`` or the torch hub cache (never downloaded). With
    ``pretrained=False`` the trunk keeps random weights (only for tests and
    experiments that say so explicitly).
    """
    import lpips
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', UserWarning)  # torchvision's `pretrained=` notice
        model = lpips.LPIPS(net='vgg', pretrained=True, pnet_rand=True, verbose=False)
    if pretrained:
        path = find_weights(VGG16_FILE, vgg_weights, what='LPIPS VGG16 trunk',
                            config_key='vgg_weights')
        state = torch.load(path, map_location='cpu', weights_only=True)
        mapped = lpips_trunk_state_dict(state, model.net)
        missing = set(model.net.state_dict()) - set(mapped)
        if missing:
            raise ValueError(
                f'{path} is not a torchvision VGG16 state dict: it lacks {sorted(missing)[:4]}...')
        model.net.load_state_dict(mapped)
    model.eval()
    for parameter in model.parameters():
        parameter.requires_grad_(False)
    return model


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
