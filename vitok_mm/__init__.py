"""vitok_mm: Vision-Transformer visual tokenizers (ViTok) on MMEngine."""
from .version import __version__

__all__ = ['__version__']
