"""Video clips under a folder or named by a list file, decoded by the ``LoadVideo`` transform."""
import os.path as osp
from typing import List, Sequence

from vitok_mm.registry import DATASETS

from .file_list import FileListDataset, find_files

VIDEO_EXTENSIONS = ('.mp4', '.avi', '.mkv', '.webm', '.mov', '.m4v', '.mpg', '.mpeg')


def find_videos(folder: str, recursive: bool = True,
                extensions: Sequence[str] = VIDEO_EXTENSIONS) -> List[str]:
    """Sorted video paths under ``folder`` (relative to it)."""
    return find_files(folder, extensions, recursive)


@DATASETS.register_module()
class VideoDataset(FileListDataset):
    """Every video under a folder (recursively by default), or the clips of a list file.

    Args:
        data_root, data_prefix: the folder of the clips is ``data_root/data_prefix``
            (``data_prefix`` a str, or MMEngine's ``dict(video_path=...)``).
        ann_file: optional list file, one ``<relative path> [label]`` per line.
        label_from_folder: in a folder walk, label each clip by the folder holding it
            (its path relative to the clip folder; sorted names -> 0, 1, ...), and list
            the names in ``classes``. A list file's labels are used as written.
        pipeline: e.g. ``LoadVideo``, ``RandomResizedCrop``, ``RandomFlip``, ``PackInputs``.
        bad_sample: ``'raise'`` or ``'skip'`` an unreadable, truncated or too-short clip
            (``LoadVideo`` names the file), as for images.
        **kwargs: :class:`FileListDataset`'s (``recursive``, ``name``, ``max_refetch``)
            and MMEngine's ``BaseDataset``'s (``test_mode``, ``indices``, ...).

    Items: the pipeline applied to ``dict(video_path=..., label=...)``; with
    ``LoadVideo`` and ``PackInputs`` the inputs are ``(3, T, H, W)`` uint8 clips.

    Raises:
        ValueError: for ``cache_images`` (an image-only option: ``LoadVideo`` decodes
            only the frames each draw samples).
    """

    path_key = 'video_path'
    extensions = VIDEO_EXTENSIONS
    kind = 'video'

    def __init__(self, *args, label_from_folder: bool = False, **kwargs):
        if kwargs.get('cache_images'):
            raise ValueError(f'{type(self).__name__}: cache_images is for image datasets.')
        kwargs.pop('cache_images', None)
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
