from .vitok import LatentInfo, ViTok
from .vitok_gan import ViTokGAN

__all__ = ['ViTok', 'ViTokGAN', 'LatentInfo']
