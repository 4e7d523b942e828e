from .latent import LatentPreprocessor
from .pixel import PixelPreprocessor

__all__ = ['LatentPreprocessor', 'PixelPreprocessor']
