from .diffusers_vae import DiffusersAutoencoder
from .vitok import LatentInfo, ViTok
from .vitok_gan import ViTokGAN

__all__ = ['DiffusersAutoencoder', 'LatentInfo', 'ViTok', 'ViTokGAN']
