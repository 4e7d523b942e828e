"""A video discriminator that judges every frame with an image discriminator."""
from typing import Union

import torch
from einops import rearrange
from torch import nn

from vitok_mm.registry import MODELS

from .base import Discriminator


@MODELS.register_module()
class PerFrameDiscriminator(Discriminator):
    """``(N, C, T, H, W) -> (N, T, ...)``: the image discriminator ``discriminator`` applied
    to each of the T frames, its logits regrouped per video (e.g. ``(N, T, 1)`` with a
    ``StyleGANDiscriminator``). Cheaper than a 3D discriminator and sees no motion.

    Args:
        discriminator: config (or module) of an image discriminator.
    """

    def __init__(self, discriminator: Union[dict, nn.Module]):
        super().__init__()
        self.frame_discriminator = (MODELS.build(discriminator)
                                    if isinstance(discriminator, dict) else discriminator)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim != 5:
            raise ValueError(f'PerFrameDiscriminator takes videos (N, C, T, H, W), got '
                             f'{tuple(x.shape)}.')
        logits = self.frame_discriminator(rearrange(x, 'n c t h w -> (n t) c h w'))
        return logits.reshape(x.shape[0], x.shape[2], *logits.shape[1:])
