"""Datasets of files: a folder walk or a list file, a pipeline, and a policy for files
that will not decode. :class:`ImageDataset` and :class:`VideoDataset` are its two kinds."""
import os
import os.path as osp
from typing import Callable, List, Optional, Sequence, Union

import numpy as np
from mmengine.dataset import BaseDataset
from mmengine.logging import print_log

from .seeding import SampleKey, local_seed, split_key
from .transforms import CorruptSampleError

BAD_SAMPLE_POLICIES = ('raise', 'skip')
DATA_DOCS = 'docs/data.md, "Preparing data"'


def find_files(folder: str, extensions: Sequence[str], recursive: bool = True) -> List[str]:
    """Sorted paths (relative to ``folder``) of the files under it whose names end with
    one of ``extensions`` (lower-case, e.g. ``('.png', '.jpg')``; ``x.PNG`` matches)."""
    extensions = tuple(extensions)
    found = []
    if recursive:
        for root, dirs, files in os.walk(folder, followlinks=True):
            dirs.sort()
            found += [osp.relpath(osp.join(root, f), folder) for f in files
                      if f.lower().endswith(extensions)]
        found.sort()
    else:
        found = [f for f in sorted(os.listdir(folder))
                 if f.lower().endswith(extensions) and osp.isfile(osp.join(folder, f))]
    return found


class FileListDataset(BaseDataset):
    """Every file of one kind under ``data_root/data_prefix`` (recursively by default), or
    the files a list file names; subclasses say which kind by three class attributes:
    ``path_key`` (the data-list key of a file's path, e.g. ``'img_path'``), ``extensions``
    and ``kind`` (a word for messages, e.g. ``'image'``).

    Args:
        data_root: root of the dataset.
        data_prefix: the folder of the files under ``data_root``, e.g. ``'train'`` (a str,
            or MMEngine's ``dict(<path_key>=...)``).
        ann_file: optional list file (one relative path per line, optionally followed by
            an integer label) instead of a folder walk; relative to ``data_root``, and the
            paths in it relative to the folder.
        pipeline: transforms applied to each ``dict(<path_key>=..., label=...)``.
        bad_sample: ``'raise'`` stops at a file that cannot be decoded, naming it;
            ``'skip'`` logs it, counts it (``num_skipped``) and draws another file.
        recursive: walk sub-folders.
        name: what to call the data in error messages (``'ImageNet'``).
        max_refetch: with ``'skip'``, files to try before giving up on the data.

    Items: whatever the pipeline makes of a data-list entry. The index may be
    ``(index, seed)``, as :class:`ResumableInfiniteSampler` yields, to run the
    pipeline's randomness (and the choice of a replacement for a skipped file) from
    that seed. Labels are ``-1`` unless the list file or a subclass gives them.

    Raises:
        ValueError: for an unknown ``bad_sample`` or a ``data_prefix`` dict without
            ``path_key``.
        FileNotFoundError: when the folder or list file is missing, or the folder holds
            no file of the kind (the message names the path and the data docs).
    """

    path_key: str = ''
    extensions: Sequence[str] = ()
    kind: str = 'file'

    def __init__(self, data_root: str = '', data_prefix: Union[str, dict] = '',
                 ann_file: str = '', pipeline: Sequence[Union[dict, Callable]] = (),
                 bad_sample: str = 'raise', recursive: bool = True, name: Optional[str] = None,
                 test_mode: bool = False, max_refetch: int = 100, **kwargs):
        if not self.path_key:
            raise TypeError(f'{type(self).__name__} names no path_key: subclass '
                            'FileListDataset as ImageDataset and VideoDataset do.')
        if bad_sample not in BAD_SAMPLE_POLICIES:
            raise ValueError(
                f'bad_sample must be one of {BAD_SAMPLE_POLICIES}, got {bad_sample!r}.')
        self.bad_sample = bad_sample
        self.recursive = recursive
        self.name = name or type(self).__name__
        self.num_skipped = 0
        if isinstance(data_prefix, str):
            data_prefix = {self.path_key: data_prefix}
        elif set(data_prefix) - {self.path_key}:
            raise ValueError(
                f'{self.name}: data_prefix is the folder of the {self.kind}s, a str or '
                f'dict({self.path_key}=...), got {data_prefix!r}.')
        super().__init__(ann_file=ann_file, data_root=data_root, data_prefix=data_prefix,
                         pipeline=list(pipeline), test_mode=test_mode, max_refetch=max_refetch,
                         **kwargs)

    @property
    def data_folder(self) -> str:
        """The folder of the files: ``data_root/data_prefix`` (``data_root`` without one)."""
        return self.data_prefix.get(self.path_key, '') or self.data_root

    def _missing(self, path: str, what: str) -> FileNotFoundError:
        return FileNotFoundError(
            f'{self.name}: {what} {path!r} does not exist (data_root={self.data_root!r}). '
            f'Put the data there or point data_root at it; see {DATA_DOCS}.')

    def label_of(self, relative_path: str) -> int:
        """Label of a file found by the folder walk (none here; subclasses add them)."""
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
        folder = self.data_folder
        if self.ann_file:
            return self.parse_list_file(self.ann_file, folder)
        if not osp.isdir(folder):
            raise self._missing(folder, f'{self.kind} folder')
        files = find_files(folder, self.extensions, self.recursive)
        if not files:
            raise FileNotFoundError(
                f'{self.name}: no {self.kind}s ({", ".join(self.extensions)}) found under '
                f'{folder!r}{" or its sub-folders" if self.recursive else ""}; see {DATA_DOCS}.')
        return [{self.path_key: osp.join(folder, f), 'label': label}
                for f, label in zip(files, self.labels_of(files))]

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
                if len(self) > 1:  # another file, never the same one again
                    index = (index + 1 + int(rng.integers(len(self) - 1))) % len(self)
                seed = None if seed is None else int(rng.integers(2**32))
        raise RuntimeError(
            f'{self.name}: {self.max_refetch + 1} samples in a row could not be decoded; '
            'the data is unusable (see the warnings above for the files).')
