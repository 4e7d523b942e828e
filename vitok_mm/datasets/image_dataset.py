"""Image datasets: a file list, a pipeline, and a policy for files that will not decode."""
import os
import os.path as osp
from typing import Callable, List, Optional, Sequence, Union

import numpy as np
from mmengine.dataset import BaseDataset
from mmengine.logging import print_log

from vitok_mm.registry import DATASETS

from .seeding import SampleKey, local_seed, split_key
from .transforms import CorruptSampleError, LoadImage

IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff', '.webp', '.ppm', '.pgm')
BAD_SAMPLE_POLICIES = ('raise', 'skip')
DATA_DOCS = 'README.md, section "Preparing data"'


def find_images(folder: str, recursive: bool = True,
                extensions: Sequence[str] = IMAGE_EXTENSIONS) -> List[str]:
    """Sorted image paths under ``folder`` (relative to it)."""
    found = []
    if recursive:
        for root, dirs, files in os.walk(folder, followlinks=True):
            dirs.sort()
            found += [osp.relpath(osp.join(root, f), folder) for f in files
                      if f.lower().endswith(tuple(extensions))]
        found.sort()
    else:
        found = [f for f in sorted(os.listdir(folder))
                 if f.lower().endswith(tuple(extensions)) and osp.isfile(osp.join(folder, f))]
    return found


@DATASETS.register_module()
class ImageDataset(BaseDataset):
    """Every image under a folder (recursively by default).

    Args:
        data_root: root of the dataset.
        data_prefix: sub-folder holding the images, e.g. ``'train'`` (a str, or
            MMEngine's ``dict(img_path=...)``).
        ann_file: optional list file (one relative path per line, optionally
            followed by an integer label) instead of a folder walk.
        pipeline: transforms, e.g. ``LoadImage``, ``RandomResizedCrop``, ``PackInputs``.
        bad_sample: ``'raise'`` stops at a file that cannot be decoded, naming it;
            ``'skip'`` logs it, counts it and draws another sample.
        recursive: walk sub-folders.
        name: what to call the data in error messages (``'ImageNet'``).
        cache_images: keep every decoded image in memory after its first use (for
            small sets such as the quickstart's photos, where decoding dominates).

    Items: whatever the pipeline makes of ``dict(img_path=..., label=...)``. The
    index may be ``(index, seed)``, as :class:`ResumableInfiniteSampler` yields, to
    run the pipeline's randomness from that seed.
    """

    # What the files are: the data list key of their path, their extensions, a word.
    path_key = 'img_path'
    extensions = IMAGE_EXTENSIONS
    kind = 'image'

    def __init__(self, data_root: str = '', data_prefix: Union[str, dict] = '',
                 ann_file: str = '', pipeline: Sequence[Union[dict, Callable]] = (),
                 bad_sample: str = 'raise', recursive: bool = True, name: Optional[str] = None,
                 cache_images: bool = False, test_mode: bool = False, max_refetch: int = 100,
                 **kwargs):
        if bad_sample not in BAD_SAMPLE_POLICIES:
            raise ValueError(
                f'bad_sample must be one of {BAD_SAMPLE_POLICIES}, got {bad_sample!r}.')
        self.bad_sample = bad_sample
        self.recursive = recursive
        self.name = name or type(self).__name__
        self.num_skipped = 0
        self.cache_images = cache_images
        self._image_cache: dict = {}
        if isinstance(data_prefix, str):
            data_prefix = dict(img_path=data_prefix)
        super().__init__(ann_file=ann_file, data_root=data_root, data_prefix=data_prefix,
                         pipeline=list(pipeline), test_mode=test_mode, max_refetch=max_refetch,
                         **kwargs)

    @property
    def image_folder(self) -> str:
        return self.data_prefix.get('img_path', '') or self.data_root

    def _missing(self, path: str, what: str) -> FileNotFoundError:
        return FileNotFoundError(
            f'{self.name}: {what} {path!r} does not exist (data_root={self.data_root!r}). '
            f'Put the data there or point data_root at it; see {DATA_DOCS}.')

    def label_of(self, relative_path: str) -> int:
        """Label of an image found by the folder walk (none here; subclasses add them)."""
        return -1

    def labels_of(self, relative_paths: List[str]) -> List[int]:
        """Labels of all the files the folder walk found (``label_of`` each)."""
        return [self.label_of(f) for f in relative_paths]

    def parse_list_file(self, path: str, folder: str) -> List[dict]:
        """``<relative path> [label]`` lines -> data list entries under ``folder``."""
        if not osp.isfile(path):
            raise self._missing(path, 'list file')
        data_list = []
        with open(path) as f:
            for line_number, line in enumerate(f, 1):
                parts = line.split()
                if not parts:
                    continue
                if len(parts) > 2 or (len(parts) == 2 and not parts[1].lstrip('-').isdigit()):
                    raise ValueError(
                        f'{path}:{line_number}: expected "<relative path> [label]", '
                        f'got {line.strip()!r}.')
                label = int(parts[1]) if len(parts) == 2 else -1
                data_list.append({self.path_key: osp.join(folder, parts[0]), 'label': label})
        if not data_list:
            raise ValueError(f'{self.name}: list file {path!r} names no {self.kind}s.')
        return data_list

    def load_data_list(self) -> List[dict]:
        folder = self.image_folder
        if self.ann_file:
            return self.parse_list_file(self.ann_file, folder)
        if not osp.isdir(folder):
            raise self._missing(folder, f'{self.kind} folder')
        files = find_images(folder, self.recursive, self.extensions)
        if not files:
            raise FileNotFoundError(
                f'{self.name}: no {self.kind}s ({", ".join(self.extensions)}) found under '
                f'{folder!r}{" or its sub-folders" if self.recursive else ""}; see {DATA_DOCS}.')
        return [{self.path_key: osp.join(folder, f), 'label': label}
                for f, label in zip(files, self.labels_of(files))]

    def get_data_info(self, idx: int) -> dict:
        info = super().get_data_info(idx)
        if self.cache_images:
            if idx not in self._image_cache:
                img = LoadImage().transform(dict(img_path=info['img_path']))['img']
                img.setflags(write=False)  # shared between draws: transforms must copy
                self._image_cache[idx] = img
            info['img'] = self._image_cache[idx]
        return info

    def __getitem__(self, key: SampleKey) -> dict:
        if not self._fully_initialized:
            self.full_init()
        index, seed = split_key(key)
        rng = np.random.default_rng(seed if seed is not None else index)
        for _ in range(self.max_refetch + 1):
            try:
                with local_seed(seed):
                    return self.prepare_data(index)
            except CorruptSampleError as error:
                if self.bad_sample == 'raise':
                    raise CorruptSampleError(
                        error.path, f"{error.reason}. Remove or replace the file, or set "
                        f"bad_sample='skip' in the {self.name} dataset config to skip such "
                        'files.') from error
                self.num_skipped += 1
                print_log(f'{self.name}: skipped {error} ({self.num_skipped} skipped so far '
                          'in this process)', logger='current', level=30)
                if len(self) > 1:  # another image, never the same one again
                    index = (index + 1 + int(rng.integers(len(self) - 1))) % len(self)
                seed = None if seed is None else int(rng.integers(2**32))
        raise RuntimeError(
            f'{self.name}: {self.max_refetch + 1} samples in a row could not be decoded; '
            'the data is unusable (see the warnings above for the files).')
