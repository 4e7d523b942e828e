from .decoder import ViTDecoder
from .encoder import ViTEncoder

__all__ = ['ViTEncoder', 'ViTDecoder']
