"""LPIPS (the ``lpips`` package, VGG16 trunk), its trunk read from torchvision's file."""
import warnings
from typing import Dict, Optional

import torch
from torch import nn

from .weights import find_weight_file


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

    ``network(pred, target)``: two ``(N, 3, H, W)`` batches in [-1, 1] -> ``(N, 1, 1, 1)``.
    The linear calibration layers ship inside the ``lpips`` package; the VGG16 trunk
    is read from ``vgg_weights`` (the file, its folder or a URL) or the torch hub cache,
    downloaded from torchvision's URL on first use. With ``pretrained=False`` the trunk
    keeps random weights (only for tests and experiments that say so explicitly).
    """
    import lpips
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', UserWarning)  # torchvision's `pretrained=` notice
        model = lpips.LPIPS(net='vgg', pretrained=True, pnet_rand=True, verbose=False)
    if pretrained:
        path = find_weight_file('vgg16', vgg_weights)
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
