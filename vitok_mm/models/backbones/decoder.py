"""The ViTok decoder: latent up-projection, a transformer, and a pixel head."""
from typing import List, Optional, Sequence

import torch
from torch import nn

from vitok_mm.registry import MODELS

from ..layers import Transformer, pack
from ..layers.linear import Linear
from ..layers.tracing import is_tracing


@MODELS.register_module()
class ViTDecoder(nn.Module):
    """Latent map -> pixels.

    Args:
        latent_channels: channels c of the latent (filled in by :class:`ViTok` from
            its bottleneck when left out).
        patch_size, tubelet_size: must match the encoder's.
        width, depth, num_heads, mlp_ratio: tower size, independent of the encoder's.
        out_channels: pixel channels.
        pixel_head: config of the output module (default ``PixelHead``).
        **transformer: options of :class:`~vitok_mm.models.layers.Transformer`, as for
            :class:`ViTEncoder` (``block=dict(type=...)``, ``norm``, the shorthands, ...).

    Shapes: ``z (N, c, h, w)`` -> ``(N, C, h*p, w*p)``; ``z (N, c, t, h, w)`` ->
    ``(N, C, t*q, h*p, w*p)``.
    """

    def __init__(self, latent_channels: int, patch_size: int, width: int, depth: int,
                 num_heads: int, tubelet_size: Optional[int] = None, mlp_ratio: float = 4.0,
                 out_channels: int = 3, pixel_head: Optional[dict] = None, **transformer):
        super().__init__()
        self.latent_channels = latent_channels
        self.patch_size = patch_size
        self.tubelet_size = tubelet_size
        self.width = width
        self.num_axes = 2 if tubelet_size is None else 3
        self.in_proj = Linear(latent_channels, width)
        self.transformer = Transformer(width, depth, num_heads, mlp_ratio,
                                       num_axes=self.num_axes, **transformer)
        pixel_head = {'type': 'PixelHead', **(pixel_head or {})}
        pixel_head.update(embed_dim=width, patch_size=patch_size, tubelet_size=tubelet_size,
                          out_channels=out_channels)
        self.pixel_head = MODELS.build(pixel_head)

    @property
    def last_layer(self) -> torch.Tensor:
        """The weight of the output projection (where stage 2 balances its losses)."""
        return self.pixel_head.proj.weight

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        if not is_tracing() and (z.ndim != 2 + self.num_axes
                                 or z.shape[1] != self.latent_channels):
            layout = '(N, c, h, w)' if self.num_axes == 2 else '(N, c, t, h, w)'
            raise ValueError(
                f'the decoder takes latents {layout} with c={self.latent_channels}; got shape '
                f'{tuple(z.shape)}.')
        grid = tuple(z.shape[2:])
        tokens = self.in_proj(z.flatten(2).transpose(1, 2))
        return self.pixel_head(self.transformer(tokens, grid), grid)

    def forward_packed(self, latents: Sequence[torch.Tensor]) -> List[torch.Tensor]:
        """Latents of different sizes ``(c, [t,] h, w)`` decoded in one packed batch
        (NaFlex): a list of pixels ``(C, [T,] H, W)``, each equal to :meth:`forward` on
        that latent alone."""
        for z in latents:
            if z.ndim != 1 + self.num_axes or z.shape[0] != self.latent_channels:
                raise ValueError(f'packed latents must each be (c, {"t, " * (self.num_axes - 2)}'
                                 f'h, w) with c={self.latent_channels}; got {tuple(z.shape)}.')
        packed = pack([self.in_proj(z.flatten(1).transpose(0, 1)) for z in latents],
                      [z.shape[1:] for z in latents])
        tokens = self.transformer(packed.tokens, mask=packed.mask, positions=packed.positions)
        return [self.pixel_head(t, grid)[0] for t, grid in zip(packed.unpack(tokens),
                                                               packed.grids)]
