"""Paper variant names (``S-B/16``, ``S-L/16``, ``S-B/4x8``) to model configs.

A name is ``<encoder size>-<decoder size>/[q x]p``: the sizes are letters of
:data:`TOWER_SIZES` (Table 1 of the paper), ``p`` the patch size and ``q`` the
tubelet size of a video tokenizer.
"""
import copy
import re
from dataclasses import dataclass
from typing import Optional

#: Table 1: width, blocks, heads of one tower. L is 1152 wide (not 1024) so that
#: its 72-dim heads split evenly over the 3 axes of video RoPE.
TOWER_SIZES = {
    'S': dict(width=768, depth=6, num_heads=12),
    'B': dict(width=768, depth=12, num_heads=12),
    'L': dict(width=1152, depth=24, num_heads=16),
}

_NAME = re.compile(r'^(?P<enc>[A-Za-z]+)-(?P<dec>[A-Za-z]+)/(?:(?P<q>\d+)x)?(?P<p>\d+)$')


@dataclass(frozen=True)
class Variant:
    """A parsed variant name."""
    encoder_size: str
    decoder_size: str
    patch_size: int
    tubelet_size: Optional[int] = None

    @property
    def name(self) -> str:
        prefix = f'{self.tubelet_size}x' if self.tubelet_size else ''
        return f'{self.encoder_size}-{self.decoder_size}/{prefix}{self.patch_size}'


def parse_variant(name: str) -> Variant:
    """``'S-B/4x16'`` -> ``Variant('S', 'B', patch_size=16, tubelet_size=4)``.

    Raises:
        ValueError: the name is malformed or names a size not in :data:`TOWER_SIZES`.
    """
    match = _NAME.match(name.strip()) if isinstance(name, str) else None
    if match is None:
        raise ValueError(
            f'Cannot parse ViTok variant {name!r}: expected "<enc>-<dec>/<p>" for images or '
            '"<enc>-<dec>/<q>x<p>" for video, e.g. "S-B/16" or "S-B/4x8".')
    sizes = []
    for part in ('enc', 'dec'):
        letter = match.group(part).upper()
        if letter not in TOWER_SIZES:
            raise ValueError(
                f'Unknown tower size {match.group(part)!r} in variant {name!r}; known sizes: '
                f'{", ".join(TOWER_SIZES)}.')
        sizes.append(letter)
    patch = int(match.group('p'))
    tubelet = int(match.group('q')) if match.group('q') else None
    if patch < 1 or (tubelet is not None and tubelet < 1):
        raise ValueError(f'Patch and tubelet sizes must be positive in variant {name!r}.')
    return Variant(sizes[0], sizes[1], patch, tubelet)


def variant_config(name: str, latent_channels: int = 16, bottleneck: str = 'gaussian',
                   **tower_options) -> dict:
    """The ``model`` config of a paper variant.

    Args:
        name: variant name, e.g. ``'S-B/16'``.
        latent_channels: channels c per latent token (E = tokens x c).
        bottleneck: ``'gaussian'`` (VAE) or ``'deterministic'``.
        **tower_options: extra options for both towers (``attn_backend``,
            ``norm_type``, ``grad_checkpointing``, ``block=dict(type=...)``, ...).

    Returns:
        a dict that ``MODELS.build`` turns into a :class:`ViTok`.
    """
    variant = parse_variant(name)
    bottlenecks = {'gaussian': 'GaussianBottleneck', 'deterministic': 'DeterministicBottleneck'}
    if bottleneck not in bottlenecks:
        raise ValueError(f'Unknown bottleneck {bottleneck!r}; choose one of {tuple(bottlenecks)}.')
    return dict(
        type='ViTok',
        patch_size=variant.patch_size,
        tubelet_size=variant.tubelet_size,
        encoder=dict(type='ViTEncoder', **copy.deepcopy(TOWER_SIZES[variant.encoder_size]),
                     **tower_options),
        bottleneck=dict(type=bottlenecks[bottleneck], latent_channels=latent_channels),
        decoder=dict(type='ViTDecoder', **copy.deepcopy(TOWER_SIZES[variant.decoder_size]),
                     **tower_options),
    )
