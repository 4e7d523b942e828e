from .pixel import PixelPreprocessor

__all__ = ['PixelPreprocessor']
