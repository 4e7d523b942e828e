from .vitok import LatentInfo, ViTok

__all__ = ['ViTok', 'LatentInfo']
