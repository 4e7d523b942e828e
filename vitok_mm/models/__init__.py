from .backbones import ViTDecoder, ViTEncoder
from .bottlenecks import DeterministicBottleneck, GaussianBottleneck
from .data_preprocessors import LatentPreprocessor, PixelPreprocessor
from .diffusion import DDIM, DDPM, Euler, FlowMatching, GaussianDiffusion, Heun
from .discriminators import PatchGANDiscriminator, PerFrameDiscriminator, StyleGANDiscriminator
from .generators import DiT, LatentDiffusion
from .layers import PatchEmbed, PixelHead
from .losses import AdversarialLoss, CharbonnierLoss, KLLoss, L1Loss, L2Loss, LPIPSLoss
from .tokenizers import LatentInfo, ViTok, ViTokGAN
from .variants import TOWER_SIZES, Variant, parse_variant, variant_config

__all__ = [
    'ViTEncoder', 'ViTDecoder', 'GaussianBottleneck', 'DeterministicBottleneck', 'PatchEmbed',
    'LatentPreprocessor', 'PixelPreprocessor', 'CharbonnierLoss', 'KLLoss', 'L1Loss', 'L2Loss',
    'LPIPSLoss',
    'PixelHead', 'ViTok', 'ViTokGAN', 'LatentInfo', 'AdversarialLoss', 'PatchGANDiscriminator',
    'PerFrameDiscriminator', 'StyleGANDiscriminator', 'TOWER_SIZES', 'Variant', 'parse_variant',
    'variant_config', 'DDIM', 'DDPM', 'Euler', 'FlowMatching', 'GaussianDiffusion', 'Heun', 'DiT',
    'LatentDiffusion',
]
