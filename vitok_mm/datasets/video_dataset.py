"""Video datasets: a folder (or list file) of clips, decoded with decord by ``LoadVideo``."""
import os.path as osp
from typing import List, Sequence

from vitok_mm.registry import DATASETS

from .image_dataset import ImageDataset, find_images

VIDEO_EXTENSIONS = ('.mp4', '.avi', '.mkv', '.webm', '.mov', '.m4v', '.mpg', '.mpeg')


def find_videos(folder: str, recursive: bool = True,
                extensions: Sequence[str] = VIDEO_EXTENSIONS) -> List[str]:
    """Sorted video paths under ``folder`` (relative to it)."""
    return find_images(folder, recursive, extensions)


@DATASETS.register_module()
class VideoDataset(ImageDataset):
    """Every video under a folder (recursively by default), or the clips of a list file.

    Args:
        data_root, data_prefix: the folder of the clips is ``data_root/data_prefix``.
        ann_file: optional list file, one ``<relative path> [label]`` per line.
        label_from_folder: label each clip by its parent folder (class folders, sorted
            names -> 0, 1, ...); ``classes`` then lists the names.
        pipeline: e.g. ``LoadVideo``, ``RandomResizedCrop``, ``RandomFlip``, ``PackInputs``.
        bad_sample: ``'raise'`` or ``'skip'`` an unreadable, truncated or too-short clip
            (``LoadVideo`` names the file), as for images.

    Items: the pipeline applied to ``dict(video_path=..., label=...)``; with
    ``PackInputs`` the inputs are ``(3, T, H, W)`` uint8 clips.
    """

    path_key = 'video_path'
    extensions = VIDEO_EXTENSIONS
    kind = 'video'

    def __init__(self, *args, label_from_folder: bool = False, **kwargs):
        if kwargs.get('cache_images'):
            raise ValueError(f'{type(self).__name__}: cache_images is for image datasets.')
        self.label_from_folder = label_from_folder
        self.classes: List[str] = []
        super().__init__(*args, **kwargs)

    def labels_of(self, relative_paths: List[str]) -> List[int]:
        if not self.label_from_folder:
            return super().labels_of(relative_paths)
        parents = [osp.dirname(f) for f in relative_paths]
        self.classes = sorted(set(parents))
        index = {name: i for i, name in enumerate(self.classes)}
        return [index[p] for p in parents]
