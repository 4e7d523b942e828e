"""Generated samples as one ADM-style ``samples.npz``, shared by the sampling tool that
writes it and the scoring that reads it.

Layout (openai/guided-diffusion's evaluation format)::

    arr_0   uint8 (N, H, W, 3)   the images, RGB
    arr_1   int64 (N,)           their class labels (absent for unconditional samples)

A reference batch of real images has the same ``arr_0``; ADM's also carry ``mu`` /
``sigma`` (the Inception statistics), which need no images to use.
"""
import os
import os.path as osp
import zipfile
from typing import Iterator, Optional, Tuple

import numpy as np

IMAGES, LABELS = 'arr_0', 'arr_1'
LAYOUT = 'arr_0: uint8 (N, H, W, 3) images, optional arr_1: integer (N,) labels'


def npz_array_header(path: str, key: str) -> Optional[Tuple[tuple, np.dtype, bool]]:
    """``(shape, dtype, fortran_order)`` of array ``key`` of an ``.npz`` without reading
    its data, or None when the file has no such array.

    Raises:
        FileNotFoundError: no file at ``path``.
        ValueError: not an ``.npz`` archive.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path} does not exist.')
    try:
        with zipfile.ZipFile(path) as archive:
            if f'{key}.npy' not in archive.namelist():
                return None
            with archive.open(f'{key}.npy') as f:
                return _read_header(f)
    except zipfile.BadZipFile as error:
        raise ValueError(f'{path} is not an .npz archive ({error}).') from error


def _read_header(f) -> Tuple[tuple, np.dtype, bool]:
    version = np.lib.format.read_magic(f)
    if version == (1, 0):
        shape, fortran, dtype = np.lib.format.read_array_header_1_0(f)
    elif version == (2, 0):
        shape, fortran, dtype = np.lib.format.read_array_header_2_0(f)
    else:
        raise ValueError(f'unsupported .npy format version {version}.')
    return shape, dtype, fortran


def check_samples_npz(path: str) -> Tuple[int, int, int]:
    """Check the layout from the headers alone; returns ``(N, H, W)``.

    Raises:
        FileNotFoundError: no file at ``path``.
        ValueError: naming the file, what it holds and the expected layout.
    """
    images = npz_array_header(path, IMAGES)
    if images is None:
        with zipfile.ZipFile(path) as archive:
            keys = sorted(name[:-4] for name in archive.namelist())
        raise ValueError(f'{path} has no arr_0 (it holds {keys}); expected {LAYOUT}.')
    shape, dtype, _ = images
    if dtype != np.uint8 or len(shape) != 4 or shape[3] != 3 or shape[0] == 0:
        raise ValueError(f'{path}: arr_0 is {dtype} {shape}; expected {LAYOUT}.')
    labels = npz_array_header(path, LABELS)
    if labels is not None and (labels[0] != shape[:1] or labels[1].kind not in 'iu'):
        raise ValueError(f'{path}: arr_1 is {labels[1]} {labels[0]} for {shape[0]} images; '
                         f'expected {LAYOUT}.')
    return shape[0], shape[1], shape[2]


def read_samples_npz(path: str) -> Tuple[np.ndarray, Optional[np.ndarray]]:
    """``images`` uint8 ``(N, H, W, 3)`` and ``labels`` int64 ``(N,)`` (None when the
    file has none). Everything is read into memory: see :func:`iter_sample_batches`.

    Raises:
        FileNotFoundError, ValueError: as :func:`check_samples_npz`.
    """
    check_samples_npz(path)
    with np.load(path) as arrays:
        labels = arrays[LABELS].astype(np.int64) if LABELS in arrays.files else None
        return arrays[IMAGES], labels


def iter_sample_batches(path: str, batch_size: int) -> Iterator[np.ndarray]:
    """The images of a ``samples.npz`` as uint8 ``(<=batch_size, H, W, 3)`` batches, read
    from the archive a batch at a time (50k 256p samples are 10 GB).

    Raises:
        FileNotFoundError, ValueError: as :func:`check_samples_npz`, or ``batch_size`` < 1.
    """
    if batch_size < 1:
        raise ValueError(f'batch_size must be >= 1, got {batch_size}.')
    n, h, w = check_samples_npz(path)
    with zipfile.ZipFile(path) as archive, archive.open(f'{IMAGES}.npy') as f:
        _, _, fortran = _read_header(f)
        if fortran:
            raise ValueError(f'{path}: arr_0 is stored in Fortran order; write it with '
                             'write_samples_npz (C order).')
        for start in range(0, n, batch_size):
            batch = np.empty((min(batch_size, n - start), h, w, 3), np.uint8)
            if f.readinto(memoryview(batch).cast('B')) != batch.size:
                raise ValueError(f'{path}: arr_0 is truncated after image {start}.')
            yield batch


def write_samples_npz(path: str, images: np.ndarray,
                      labels: Optional[np.ndarray] = None) -> None:
    """Write ``images`` uint8 ``(N, H, W, 3)`` (and ``labels`` ``(N,)``, stored int64) to
    ``path`` atomically: under a temporary name, renamed into place once complete.

    Raises:
        ValueError: the arrays do not have the layout above.
    """
    images = np.ascontiguousarray(images)
    if images.dtype != np.uint8 or images.ndim != 4 or images.shape[3] != 3 \
            or images.shape[0] == 0:
        raise ValueError(f'write_samples_npz: images are {images.dtype} {images.shape}; '
                         f'expected {LAYOUT}.')
    arrays = {IMAGES: images}
    if labels is not None:
        labels = np.asarray(labels)
        if labels.shape != images.shape[:1] or labels.dtype.kind not in 'iu':
            raise ValueError(f'write_samples_npz: labels are {labels.dtype} {labels.shape} '
                             f'for {images.shape[0]} images; expected {LAYOUT}.')
        arrays[LABELS] = labels.astype(np.int64)
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    from .storage import staged_file
    with staged_file(path, needed=sum(a.nbytes for a in arrays.values())) as partial:
        with open(partial, 'wb') as f:
            np.savez(f, **arrays)
