"""DiT: a class-conditional diffusion transformer over tokenizer latents (Peebles & Xie, 2023).

Latents ``(N, c, h, w)`` (or ``(N, c, t, h, w)``) are cut into ``p x p`` patches on
the latent grid, embedded, given fixed sin-cos positions, run through adaLN-Zero blocks
conditioned on ``timestep embedding + class embedding``, and projected back by a
modulated, zero-initialised final layer. With a 16x16x16 S-B/16 latent at ``p=1`` each
token carries ``p^2 c = 16`` values, as DiT-XL/2's 2x2x4 patches of SD-VAE latents do,
so the parameter counts are the paper's.
"""
from typing import Dict, Optional, Sequence, Union

import torch
from torch import nn

from vitok_mm.registry import MODELS

from ..layers import LabelEmbedding, PatchEmbed, TimestepEmbedding, Transformer
from ..layers.adaln_block import affine_free_norm, modulate, zero_init_modulation
from ..layers.build import build_layer
from ..layers.linear import Linear
from ..layers.norm import NORM_TYPES
from ..layers.patch_embed import token_grid

#: The final layers the registry has built in (``head=dict(type=...)``).
HEAD_TYPES = ('PixelHead', 'OverlapPixelHead', 'ConvRefinePixelHead', 'BorderSmoothPixelHead')

#: DiT sizes: width, depth, heads (Peebles & Xie, Table 1).
DIT_SIZES: Dict[str, Dict[str, int]] = {
    'S': dict(width=384, depth=12, num_heads=6),
    'B': dict(width=768, depth=12, num_heads=12),
    'L': dict(width=1024, depth=24, num_heads=16),
    'XL': dict(width=1152, depth=28, num_heads=16),
}


def dit_size(size: str) -> Dict[str, int]:
    """Width, depth and heads of a DiT size name (``'S'``, ``'B'``, ``'L'``, ``'XL'``)."""
    key = str(size).upper()
    if key not in DIT_SIZES:
        raise ValueError(f'Unknown DiT size {size!r}; choose one of {tuple(DIT_SIZES)}, '
                         'or give width, depth and num_heads.')
    return dict(DIT_SIZES[key])


@MODELS.register_module()
class DiT(nn.Module):
    """Class-conditional DiT on a 2D or 3D latent grid.

    Args:
        in_channels: latent channels ``c``.
        num_classes: classes; a null class is added for classifier-free guidance.
        size: ``'S'``, ``'B'``, ``'L'`` or ``'XL'`` (:data:`DIT_SIZES`); or give ``width``,
            ``depth`` and ``num_heads`` (each overrides the size's).
        patch_size: patch ``p`` on the latent grid's spatial axes (default 1).
        num_axes: 2 for image latents ``(c, h, w)``, 3 for video ``(c, t, h, w)`` (the
            sin-cos positions then need ``width % 6 == 0``: S, B, XL but not L).
        out_channels: channels predicted per latent channel set: ``c`` (epsilon or
            velocity) or ``2c`` (with learned variance); default ``2 * in_channels``.
        class_dropout: label dropout in training (DiT: 0.1).
        mlp_ratio: MLP hidden width over ``width`` (4).
        block: block config, default ``dict(type='AdaLNZeroBlock')`` (LayerNorm without
            affine, GELU-tanh MLP, qkv bias; ``mlp=dict(type='SwiGLU')``,
            ``norm=dict(type='RMSNorm')``, ``qk_norm=True`` are options).
        rope: rotary positions in every attention (off, as DiT; the sin-cos positions
            are always added).
        grad_checkpointing: recompute blocks in the backward pass.
        head: the final tokens -> latent-patches layer as a registry config without its
            sizes, e.g. ``dict(type='ConvRefinePixelHead', hidden=64)`` (a zero-initialised
            3x3 convolution stack over the output, as U-ViT adds) or
            ``dict(type='OverlapPixelHead', overlap=1)``; ``None`` is DiT's linear
            :class:`PixelHead`.

    Shapes: ``x (N, c, [t,] h, w)``, ``t (N,)`` model time, ``labels (N,)`` ->
    ``(N, out_channels, [t,] h, w)``.
    """

    def __init__(self, in_channels: int, num_classes: int, size: Optional[str] = 'XL',
                 width: Optional[int] = None, depth: Optional[int] = None,
                 num_heads: Optional[int] = None, patch_size: int = 1, num_axes: int = 2,
                 out_channels: Optional[int] = None, class_dropout: float = 0.1,
                 mlp_ratio: float = 4.0, block: Optional[dict] = None, rope: bool = False,
                 grad_checkpointing: bool = False, head: Optional[dict] = None):
        super().__init__()
        dims = dit_size(size) if size is not None else {}
        dims.update({k: v for k, v in dict(width=width, depth=depth,
                                           num_heads=num_heads).items() if v is not None})
        missing = [k for k in ('width', 'depth', 'num_heads') if k not in dims]
        if missing:
            raise ValueError(f'DiT without a size needs {", ".join(missing)}.')
        if num_axes not in (2, 3):
            raise ValueError(f'num_axes must be 2 (image latents) or 3 (video), got {num_axes}.')
        if in_channels < 1:
            raise ValueError(f'in_channels must be positive, got {in_channels}.')
        width = dims['width']
        if num_axes == 3 and width % 6:
            raise ValueError(
                f'a video DiT needs width % 6 == 0 for its 3-axis sin-cos positions; width '
                f'{width} is not (sizes S, B and XL are; L is not).')
        self.in_channels = in_channels
        self.out_channels = out_channels or 2 * in_channels
        self.num_classes = num_classes
        self.patch_size = patch_size
        self.num_axes = num_axes
        self.width = width
        tubelet = 1 if num_axes == 3 else None
        self.patch_embed = PatchEmbed(width, patch_size, tubelet, in_channels=in_channels)
        self.time_embed = TimestepEmbedding(width)
        self.label_embed = LabelEmbedding(num_classes, width, class_dropout)
        self.blocks = Transformer(
            width, dims['depth'], dims['num_heads'], mlp_ratio=mlp_ratio, num_axes=num_axes,
            rope=rope, abs_pos_embed='sincos', block=block or dict(type='AdaLNZeroBlock'),
            grad_checkpointing=grad_checkpointing, final_norm=False)
        # Final layer: modulated affine-free norm, then tokens -> patches (zero-initialised).
        self.final_norm = build_layer(affine_free_norm(None, None), 'norm', fixed=dict(dim=width),
                                      known=NORM_TYPES.values())
        self.final_modulation = nn.Sequential(nn.SiLU(), Linear(width, 2 * width))
        head = {'type': 'PixelHead', **(head or {})}
        self.head = build_layer(head, 'head',
                                fixed=dict(embed_dim=width, patch_size=patch_size,
                                           tubelet_size=tubelet,
                                           out_channels=self.out_channels),
                                known=HEAD_TYPES)
        if not hasattr(self.head, 'proj'):
            raise ValueError(f'head {head["type"]!r} has no `proj` linear layer; a DiT '
                             'head must be a PixelHead-like module (see '
                             'vitok_mm.models.layers.pixel_heads).')
        self.initialize_weights()

    def initialize_weights(self) -> None:
        """DiT's initialisation: Xavier-uniform linears with zero bias (the patch embedding
        as a flattened convolution), N(0, 0.02) time MLP and label table, zero modulations
        and a zero final projection: the model starts by predicting 0."""
        skip = set(self.time_embed.modules())
        for module in self.modules():
            if isinstance(module, nn.Linear) and module not in skip:
                nn.init.xavier_uniform_(module.weight)
                if module.bias is not None:
                    nn.init.zeros_(module.bias)
        for block in self.blocks.blocks:
            if hasattr(block, 'modulation'):
                zero_init_modulation(block.modulation)
        zero_init_modulation(self.final_modulation)
        nn.init.zeros_(self.head.proj.weight)
        nn.init.zeros_(self.head.proj.bias)

    def grid_of(self, shape: Sequence[int]) -> tuple:
        """The token grid of latents of ``shape``, or a ValueError naming the fix."""
        if len(shape) != 2 + self.num_axes or shape[1] != self.in_channels:
            kind = '(N, c, h, w)' if self.num_axes == 2 else '(N, c, t, h, w)'
            raise ValueError(
                f'this DiT takes latents {kind} with c={self.in_channels}; got shape '
                f'{tuple(shape)}. Check that the latent cache matches the model config '
                '(in_channels, num_axes).')
        return token_grid(shape, self.patch_size, 1 if self.num_axes == 3 else None)

    def forward(self, x: torch.Tensor, t: torch.Tensor, labels: torch.Tensor,
                force_drop: Optional[torch.Tensor] = None) -> torch.Tensor:
        self.grid_of(x.shape)
        tokens, grid = self.patch_embed(x)
        cond = self.time_embed(t) + self.label_embed(labels, force_drop)
        tokens = self.blocks(tokens, grid, cond=cond)
        shift, scale = self.final_modulation(cond).chunk(2, dim=-1)
        return self.head(modulate(self.final_norm(tokens), shift, scale), grid)

    def fixed_position_count(self, latent_shape: Sequence[int]) -> int:
        """Values of the sin-cos position table for latents ``(c, [t,] h, w)``: what DiT's
        reference stores as a frozen parameter (computed on the fly here)."""
        grid = token_grid((1, ) + tuple(latent_shape), self.patch_size,
                          1 if self.num_axes == 3 else None)
        count = 1
        for g in grid:
            count *= g
        return count * self.width


def build_dit(cfg: Union[dict, nn.Module]) -> nn.Module:
    """A generator from its config (a built module passes through)."""
    return cfg if isinstance(cfg, nn.Module) else MODELS.build(cfg)
