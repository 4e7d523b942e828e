from .formatting import PackInputs
from .loading import CorruptSampleError, LoadImage, to_rgb8
from .processing import RandomResizedCrop, ResizeShortSide, resize

__all__ = ['PackInputs', 'CorruptSampleError', 'LoadImage', 'to_rgb8', 'RandomResizedCrop',
           'ResizeShortSide', 'resize']
