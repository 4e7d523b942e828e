"""Video datasets: a folder (or list file) of clips, decoded with decord by ``LoadVideo``."""
import os.path as osp
from typing import List, Sequence

from vitok_mm.registry import DATASETS

from .image_dataset import DATA_DOCS, ImageDataset, find_images

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

    def __init__(self, *args, label_from_folder: bool = False, **kwargs):
        if kwargs.get('cache_images'):
            raise ValueError(f'{type(self).__name__}: cache_images is for image datasets.')
        self.label_from_folder = label_from_folder
        self.classes: List[str] = []
        super().__init__(*args, **kwargs)

    def parse_list_file(self, path: str, folder: str) -> List[dict]:
        if not osp.isfile(path):
            raise self._missing(path, 'list file')
        data_list = []
        with open(path) as f:
            for line_number, line in enumerate(f, 1):
                parts = line.split()
                if not parts:
                    continue
                if len(parts) > 2 or (len(parts) == 2 and not parts[1].lstrip('-').isdigit()):
                    raise ValueError(f'{path}:{line_number}: expected "<relative path> [label]",'
                                     f' got {line.strip()!r}.')
                label = int(parts[1]) if len(parts) == 2 else -1
                data_list.append(dict(video_path=osp.join(folder, parts[0]), label=label))
        if not data_list:
            raise ValueError(f'{self.name}: list file {path!r} names no videos.')
        return data_list

    def load_data_list(self) -> List[dict]:
        folder = self.image_folder
        if self.ann_file:
            return self.parse_list_file(self.ann_file, folder)
        if not osp.isdir(folder):
            raise self._missing(folder, 'video folder')
        files = find_videos(folder, self.recursive)
        if not files:
            raise FileNotFoundError(
                f'{self.name}: no videos ({", ".join(VIDEO_EXTENSIONS)}) found under '
                f'{folder!r}{" or its sub-folders" if self.recursive else ""}; see {DATA_DOCS}.')
        labels = [-1] * len(files)
        if self.label_from_folder:
            parents = [osp.dirname(f) for f in files]
            self.classes = sorted(set(parents))
            index = {name: i for i, name in enumerate(self.classes)}
            labels = [index[p] for p in parents]
        return [dict(video_path=osp.join(folder, f), label=label)
                for f, label in zip(files, labels)]
