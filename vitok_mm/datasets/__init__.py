"""Datasets, samplers and transforms (registered in vitok_mm's DATASETS, DATA_SAMPLERS,
TRANSFORMS). File datasets share :class:`FileListDataset` (folder walk, list file,
bad-sample policy, seeded draws); ``ImageDataset`` and ``VideoDataset`` are its kinds."""
from .coco import COCOImages
from .file_list import FileListDataset, find_files
from .image_dataset import IMAGE_EXTENSIONS, ImageDataset, find_images
from .imagenet import ImageNet
from .kinetics import Kinetics
from .latent_dataset import LatentDataset
from .mixed import WeightedMixDataset
from .samplers import ResumableInfiniteSampler
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
    'LatentDataset',
    'COCOImages', 'FileListDataset', 'find_files', 'IMAGE_EXTENSIONS', 'ImageDataset',
    'find_images', 'ImageNet', 'WeightedMixDataset', 'ResumableInfiniteSampler',
    'CorruptSampleError', 'LoadImage', 'PackInputs', 'RandomResizedCrop', 'ResizeShortSide',
    'WebDatasetImages', 'Kinetics', 'UCF101', 'VIDEO_EXTENSIONS', 'VideoDataset', 'find_videos',
    'ImageToVideo', 'LoadVideo', 'sample_frame_indices',
]
