"""ViTok-v2 (github.com/Na-VAE/vitok-release): its variant names, its nine released
models, and the vitok_mm model config that reproduces each.

A v2 variant is ``<enc>-<dec>/[t x]p x c`` (one tower name: both towers), e.g.
``Ld4-Ld24/1x16x16``. A tower is a base letter (:data:`V2_TOWER_BASES`: width, depth,
heads) with optional modifiers ``w<width>``, ``d<depth>``, ``h<heads>``, ``m<mlp factor>``
(default 2.67), or ``w<W>_d<D>_h<H>[_m<M>]``. v2's L is 1024 wide, not the paper's 1152.

The v2 architecture in our components (:func:`v2_model_config`):

- ``ParallelBlock`` with LayerScale (``x + gamma * (attn(h) + mlp(h))``, one RMSNorm);
  attention with per-head RMSNorm on q and k before RoPE, no biases; SwiGLU without
  biases, hidden ``((int(factor * width) + 8) // 16) * 16`` (:func:`v2_hidden_dim`).
- No final norm in either tower (``final_norm=False``), no absolute positions, 2D RoPE
  with theta 1e4 (the same tables as our ``RotaryEmbedding``: first half of each head's
  pairs on the row, second on the column, interleaved pairs).
- A deterministic bottleneck: Linear with bias, LayerNorm without affine, eps 1e-6.
- Patch embedding and pixel head: Linear with bias. v2 orders a patch's features
  (channel, row, col) (``F.unfold``), we order them (row, col, channel): the converter
  (:mod:`vitok_mm.apis.convert_vitok_v2`) permutes those weights once, so nothing
  changes at run time.
"""
import re
from dataclasses import dataclass
from typing import Dict, Tuple

#: v2 base towers: width, depth, heads.
V2_TOWER_BASES = {
    'B': (768, 12, 12),
    'L': (1024, 24, 16),
    'G': (1728, 32, 24),
    'T': (3072, 40, 24),
    'E': (4096, 48, 32),
}
V2_MLP_FACTOR = 2.67
#: v2's LayerScale init and norm epsilons.
V2_LAYER_SCALE = 1e-4
V2_EPS = 1e-6

#: The released models (``vitok/pretrained.py``): name -> (Hugging Face repo id, variant).
V2_RELEASES: Dict[str, Tuple[str, str]] = {
    '350M-f16x16': ('philippehansen/ViTok-v2-350M-f16x16', 'Ld4-Ld24/1x16x16'),
    '350M-f16x32': ('philippehansen/ViTok-v2-350M-f16x32', 'Ld4-Ld24/1x16x32'),
    '350M-f16x64': ('philippehansen/ViTok-v2-350M-f16x64', 'Ld4-Ld24/1x16x64'),
    '5B-f16x16': ('philippehansen/ViTok-v2-5B-f16x16', 'Td4-T/1x16x16'),
    '5B-f16x32': ('philippehansen/ViTok-v2-5B-f16x32', 'Td4-T/1x16x32'),
    '5B-f16x64': ('philippehansen/ViTok-v2-5B-f16x64', 'Td4-T/1x16x64'),
    '5B-f32x64': ('philippehansen/ViTok-v2-5B-f32x64', 'Td4-T/1x32x64'),
    '5B-f32x128': ('philippehansen/ViTok-v2-5B-f32x128', 'Td4-T/1x32x128'),
    '5B-f32x256': ('philippehansen/ViTok-v2-5B-f32x256', 'Td4-T/1x32x256'),
}


@dataclass(frozen=True)
class V2Tower:
    """One tower of a v2 variant."""
    width: int
    depth: int
    num_heads: int
    mlp_factor: float


@dataclass(frozen=True)
class V2Variant:
    """A parsed v2 variant name."""
    name: str
    encoder: V2Tower
    decoder: V2Tower
    patch_size: int
    latent_channels: int
    temporal_stride: int = 1

    @property
    def mlp_factor(self) -> float:
        """v2 builds both towers with the larger of the two factors."""
        return max(self.encoder.mlp_factor, self.decoder.mlp_factor)


_CUSTOM = re.compile(r'^w(\d+)_d(\d+)_h(\d+)(?:_m(\d+(?:\.\d+)?))?$')
_MODIFIER = re.compile(r'([wdhm])(\d+(?:\.\d+)?)')


def _parse_tower(text: str, variant: str) -> V2Tower:
    custom = _CUSTOM.match(text)
    if custom:
        width, depth, heads = (int(custom.group(i)) for i in (1, 2, 3))
        factor = float(custom.group(4)) if custom.group(4) else V2_MLP_FACTOR
        return V2Tower(width, depth, heads, factor)
    base, modifiers = text[:1], text[1:]
    if base not in V2_TOWER_BASES or _MODIFIER.sub('', modifiers):
        raise ValueError(
            f'cannot read the tower {text!r} of ViTok-v2 variant {variant!r}: expected a base '
            f'letter ({", ".join(V2_TOWER_BASES)}) with optional w<width>, d<depth>, '
            'h<heads>, m<mlp factor> (e.g. "Ld4"), or "w<W>_d<D>_h<H>[_m<M>]".')
    width, depth, heads = V2_TOWER_BASES[base]
    values = dict(w=width, d=depth, h=heads, m=V2_MLP_FACTOR)
    for key, value in _MODIFIER.findall(modifiers):
        values[key] = float(value) if key == 'm' else int(value)
    return V2Tower(values['w'], values['d'], values['h'], values['m'])


def parse_v2_variant(name: str) -> V2Variant:
    """A v2 variant name (``'Ld4-Ld24/1x16x16'``) or release name (``'350M-f16x16'``).

    Raises:
        ValueError: the name is neither; the message gives the grammar and the releases.
    """
    if name in V2_RELEASES:
        name = V2_RELEASES[name][1]
    towers, _, sizes = name.partition('/') if isinstance(name, str) else ('', '', '')
    numbers = sizes.split('x')
    if not towers or not all(n.isdigit() for n in numbers) or len(numbers) not in (2, 3):
        raise ValueError(
            f'unknown ViTok-v2 variant {name!r}: expected "<enc>-<dec>/[t x]p x c" such as '
            f'"Ld4-Ld24/1x16x16", or a release name: {", ".join(V2_RELEASES)}.')
    encoder, _, decoder = towers.partition('-')
    values = [int(n) for n in numbers]
    temporal, patch, channels = values if len(values) == 3 else [1] + values
    if temporal != 1:
        raise ValueError(f'ViTok-v2 variant {name!r} has temporal stride {temporal}; only '
                         'image variants (1x...) are released and supported.')
    return V2Variant(name, _parse_tower(encoder, name), _parse_tower(decoder or encoder, name),
                     patch, channels, temporal)


def v2_hidden_dim(width: int, mlp_factor: float = V2_MLP_FACTOR) -> int:
    """v2's SwiGLU hidden width: ``int(factor * width)`` rounded to a multiple of 16
    (2736 for 1024, 8208 for 3072)."""
    return ((int(width * mlp_factor) + 8) // 16) * 16


def _tower_config(tower: V2Tower, mlp_factor: float) -> dict:
    return dict(width=tower.width, depth=tower.depth, num_heads=tower.num_heads,
                qk_norm=True, final_norm=False, rope_theta=10000.0,
                block=dict(type='ParallelBlock', layer_scale=V2_LAYER_SCALE,
                           norm=dict(type='RMSNorm', eps=V2_EPS),
                           mlp=dict(type='SwiGLU',
                                    hidden_dim=v2_hidden_dim(tower.width, mlp_factor))))


def v2_model_config(name: str) -> dict:
    """The ``ViTok`` model config of a v2 variant or release name (see the module
    docstring for how each v2 choice maps onto our components)."""
    variant = parse_v2_variant(name)
    return dict(
        type='ViTok', patch_size=variant.patch_size,
        encoder=dict(type='ViTEncoder', **_tower_config(variant.encoder, variant.mlp_factor)),
        bottleneck=dict(type='DeterministicBottleneck', latent_channels=variant.latent_channels,
                        norm=True, norm_eps=V2_EPS),
        decoder=dict(type='ViTDecoder', **_tower_config(variant.decoder, variant.mlp_factor)))

#: The files of every release's Hub repository.
RELEASE_FILES = ('encoder.safetensors', 'decoder.safetensors')


def _block_shapes(prefix: str, width: int, heads: int, hidden: int) -> Dict[str, Tuple]:
    head_dim = width // heads
    return {
        f'{prefix}.norm1.weight': (width, ),
        f'{prefix}.attn.norm_q.weight': (head_dim, ),
        f'{prefix}.attn.norm_k.weight': (head_dim, ),
        f'{prefix}.attn.qkv_proj.weight': (3 * width, width),
        f'{prefix}.attn.out_proj.weight': (width, width),
        f'{prefix}.ffn.fc1.weight': (2 * hidden, width),
        f'{prefix}.ffn.fc2.weight': (width, hidden),
        f'{prefix}.layer_scale.gamma': (width, ),
    }


def v2_shapes(variant: V2Variant) -> Tuple[Dict[str, Tuple], Dict[str, Tuple]]:
    """The key -> shape tables of a release's ``encoder.safetensors`` and
    ``decoder.safetensors``."""
    pixels = 3 * variant.patch_size ** 2
    c = variant.latent_channels
    enc, dec = variant.encoder, variant.decoder
    encoder = {'patch_embed.weight': (enc.width, pixels), 'patch_embed.bias': (enc.width, )}
    for i in range(enc.depth):
        encoder.update(_block_shapes(f'encoder_blocks.{i}', enc.width, enc.num_heads,
                                     v2_hidden_dim(enc.width, variant.mlp_factor)))
    encoder.update({'to_code.weight': (c, enc.width), 'to_code.bias': (c, )})
    decoder = {'decoder_embed.weight': (dec.width, c), 'decoder_embed.bias': (dec.width, )}
    for i in range(dec.depth):
        decoder.update(_block_shapes(f'decoder_blocks.{i}', dec.width, dec.num_heads,
                                     v2_hidden_dim(dec.width, variant.mlp_factor)))
    decoder.update({'to_pixels.weight': (pixels, dec.width), 'to_pixels.bias': (pixels, )})
    return encoder, decoder


__all__ = ['RELEASE_FILES', 'V2_RELEASES', 'V2_TOWER_BASES', 'V2Tower', 'V2Variant',
           'parse_v2_variant', 'v2_hidden_dim', 'v2_model_config', 'v2_shapes']
