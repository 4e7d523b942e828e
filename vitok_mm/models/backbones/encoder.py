"""The ViTok encoder: patch/tubelet embedding followed by a transformer."""
from typing import Optional, Sequence, Tuple

import torch
from torch import nn

from vitok_mm.registry import MODELS

from ..layers import PackedTokens, Transformer, pack


@MODELS.register_module()
class ViTEncoder(nn.Module):
    """Pixels -> tokens.

    Args:
        patch_size: spatial patch p.
        tubelet_size: temporal tubelet q for video, ``None`` for images.
        width, depth, num_heads, mlp_ratio: tower size (Table 1: S 768/6/12, B 768/12/12,
            L 1152/24/16; ratio 4).
        in_channels: pixel channels.
        patch_embed: config of the embedding module (default ``PatchEmbed``);
            ``embed_dim``, ``patch_size``, ``tubelet_size`` and ``in_channels`` are
            filled in.
        **transformer: options of :class:`~vitok_mm.models.layers.Transformer`:
            ``block=dict(type=...)`` (with ``attn``, ``mlp``, ``norm`` configs for
            :class:`~vitok_mm.models.layers.Block`), ``norm``, the shorthands
            ``norm_type``, ``mlp_type``, ``qk_norm``, ``qkv_bias``, ``attn_backend``,
            and ``rope``, ``abs_pos_embed``, ``base_grid``, ``grad_checkpointing``.

    Shapes: ``(N, C, H, W)`` or ``(N, C, T, H, W)`` -> tokens ``(N, L, width)``
    and their grid ``(h, w)`` / ``(t, h, w)``.
    """

    def __init__(self, patch_size: int, width: int, depth: int, num_heads: int,
                 tubelet_size: Optional[int] = None, mlp_ratio: float = 4.0,
                 in_channels: int = 3, patch_embed: Optional[dict] = None, **transformer):
        super().__init__()
        self.patch_size = patch_size
        self.tubelet_size = tubelet_size
        self.width = width
        patch_embed = dict(type='PatchEmbed', **(patch_embed or {}))
        patch_embed.update(embed_dim=width, patch_size=patch_size, tubelet_size=tubelet_size,
                           in_channels=in_channels)
        self.patch_embed = MODELS.build(patch_embed)
        num_axes = 2 if tubelet_size is None else 3
        self.transformer = Transformer(width, depth, num_heads, mlp_ratio, num_axes=num_axes,
                                       **transformer)

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, Tuple[int, ...]]:
        tokens, grid = self.patch_embed(x)
        return self.transformer(tokens, grid), grid

    def forward_packed(self, inputs: Sequence[torch.Tensor]) -> PackedTokens:
        """Inputs of different sizes ``(C, [T,] H, W)`` in one packed batch (NaFlex):
        each input's tokens equal those of :meth:`forward` on it alone."""
        embedded = [self.patch_embed(x[None]) for x in inputs]
        packed = pack([tokens for tokens, _ in embedded], [grid for _, grid in embedded])
        packed.tokens = self.transformer(packed.tokens, mask=packed.mask,
                                         positions=packed.positions)
        return packed
