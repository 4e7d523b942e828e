from .backbones import ViTDecoder, ViTEncoder
from .bottlenecks import DeterministicBottleneck, GaussianBottleneck
from .layers import PatchEmbed, PixelHead
from .tokenizers import LatentInfo, ViTok
from .variants import TOWER_SIZES, Variant, parse_variant, variant_config

__all__ = [
    'ViTEncoder', 'ViTDecoder', 'GaussianBottleneck', 'DeterministicBottleneck', 'PatchEmbed',
    'PixelHead', 'ViTok', 'LatentInfo', 'TOWER_SIZES', 'Variant', 'parse_variant',
    'variant_config',
]
