"""Transforms of images ``(H, W, C)`` and clips ``(T, H, W, C)`` (registered in TRANSFORMS)."""
from .colour import RandomChannelPermute
from .formatting import PackInputs
from .loading import CorruptSampleError, LoadImage, to_rgb8
from .processing import CenterCrop, RandomFlip, RandomResizedCrop, ResizeShortSide, resize
from .video import SHORT_CLIP_POLICIES, ImageToVideo, LoadVideo, sample_frame_indices

__all__ = ['PackInputs', 'CorruptSampleError', 'LoadImage', 'to_rgb8', 'CenterCrop',
           'RandomFlip', 'RandomResizedCrop', 'ResizeShortSide', 'resize',
           'SHORT_CLIP_POLICIES', 'ImageToVideo', 'LoadVideo', 'sample_frame_indices',
           'RandomChannelPermute']
