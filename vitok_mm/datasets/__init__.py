"""Datasets, samplers and transforms (registered in vitok_mm's DATASETS, DATA_SAMPLERS,
TRANSFORMS)."""
from .coco import COCOImages
from .image_dataset import IMAGE_EXTENSIONS, ImageDataset, find_images
from .imagenet import ImageNet
from .mixed import WeightedMixDataset
from .samplers import ResumableInfiniteSampler
from .samples import (
                      BUNDLED_CLIPS,
                      BUNDLED_PHOTOS,
                      HELD_OUT_PHOTOS,
                      build_sample_folders,
                      bundled_clips,
                      bundled_photos,
)
from .transforms import (
                      CorruptSampleError,
                      LoadImage,
                      PackInputs,
                      RandomResizedCrop,
                      ResizeShortSide,
)
from .webdataset import WebDatasetImages

__all__ = [
    'COCOImages', 'IMAGE_EXTENSIONS', 'ImageDataset', 'find_images', 'ImageNet',
    'WeightedMixDataset', 'ResumableInfiniteSampler', 'BUNDLED_CLIPS', 'BUNDLED_PHOTOS',
    'HELD_OUT_PHOTOS', 'build_sample_folders', 'bundled_clips', 'bundled_photos',
    'CorruptSampleError', 'LoadImage', 'PackInputs', 'RandomResizedCrop', 'ResizeShortSide',
    'WebDatasetImages',
]
