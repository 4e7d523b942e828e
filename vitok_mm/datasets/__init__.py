"""Datasets, samplers and transforms (registered in vitok_mm's DATASETS, DATA_SAMPLERS,
TRANSFORMS)."""
from .coco import COCOImages
from .image_dataset import IMAGE_EXTENSIONS, ImageDataset, find_images
from .imagenet import ImageNet
from .kinetics import Kinetics
from .mixed import WeightedMixDataset
from .samplers import ResumableInfiniteSampler
from .samples import (
                      BUNDLED_CLIPS,
                      BUNDLED_PHOTOS,
                      CLIP_CLASSES,
                      HELD_OUT_PHOTOS,
                      build_sample_folders,
                      build_video_sample_folders,
                      bundled_clips,
                      bundled_photos,
)
from .transforms import (
                      CorruptSampleError,
                      ImageToVideo,
                      LoadImage,
                      LoadVideo,
                      PackInputs,
                      RandomResizedCrop,
                      ResizeShortSide,
                      sample_frame_indices,
)
from .ucf101 import UCF101
from .video_dataset import VIDEO_EXTENSIONS, VideoDataset, find_videos
from .webdataset import WebDatasetImages

__all__ = [
    'COCOImages', 'IMAGE_EXTENSIONS', 'ImageDataset', 'find_images', 'ImageNet',
    'WeightedMixDataset', 'ResumableInfiniteSampler', 'BUNDLED_CLIPS', 'BUNDLED_PHOTOS',
    'HELD_OUT_PHOTOS', 'build_sample_folders', 'bundled_clips', 'bundled_photos',
    'CorruptSampleError', 'LoadImage', 'PackInputs', 'RandomResizedCrop', 'ResizeShortSide',
    'WebDatasetImages', 'Kinetics', 'UCF101', 'VIDEO_EXTENSIONS', 'VideoDataset', 'find_videos',
    'CLIP_CLASSES', 'build_video_sample_folders', 'ImageToVideo', 'LoadVideo',
    'sample_frame_indices',
]
