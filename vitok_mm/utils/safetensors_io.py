"""Safetensors files read and written one tensor at a time, so that a model of many
gigabytes is never held twice in memory.

The ``safetensors`` package reads a whole file into a dict and builds a whole file's
bytes before writing it. Here, instead:

- :func:`load_safetensors` memory-maps the file and returns tensors that are views of
  the mapping (nothing is read until used; the pages belong to the page cache). A tensor
  of another dtype than the one asked for is read and converted alone.
- :func:`iter_safetensors` reads tensors one by one with plain reads.
- :class:`SafetensorsWriter` writes a header announced in advance, then the tensors one
  by one, atomically (``.partial`` file, renamed when complete).

The format (https://github.com/huggingface/safetensors): an 8-byte little-endian header
length, a JSON header ``{name: {dtype, shape, data_offsets: [begin, end]}, '__metadata__':
{str: str}}`` and the tensors' bytes, offsets counted from the end of the header.
"""
import contextlib
import json
import math
import os
import os.path as osp
import struct
from typing import Dict, Iterable, Iterator, Optional, Sequence, Tuple

import torch

DTYPES: Dict[str, torch.dtype] = {
    'F64': torch.float64, 'F32': torch.float32, 'F16': torch.float16, 'BF16': torch.bfloat16,
    'I64': torch.int64, 'I32': torch.int32, 'I16': torch.int16, 'I8': torch.int8,
    'U8': torch.uint8, 'BOOL': torch.bool,
}
NAMES: Dict[torch.dtype, str] = {dtype: name for name, dtype in DTYPES.items()}
#: A header larger than this is no safetensors header (the format caps it at 100 MB).
MAX_HEADER_BYTES = 100 * 1024 * 1024


class TensorInfo:
    """Where one tensor lies in a file: dtype, shape and absolute byte range."""
    __slots__ = ('dtype', 'shape', 'begin', 'end')

    def __init__(self, dtype: torch.dtype, shape: Tuple[int, ...], begin: int, end: int):
        self.dtype, self.shape, self.begin, self.end = dtype, shape, begin, end


def read_header(path: str) -> Tuple[Dict[str, TensorInfo], Dict[str, str]]:
    """The tensors of a safetensors file (in file order) and its ``__metadata__``.

    Raises:
        FileNotFoundError: no file at ``path``.
        ValueError: not a safetensors file, or cut short (its tensors end past the end of
            the file); the message names the file.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path} does not exist.')
    size = osp.getsize(path)
    with open(path, 'rb') as f:
        head = f.read(8)
        length = struct.unpack('<Q', head)[0] if len(head) == 8 else -1
        if not 0 < length <= min(MAX_HEADER_BYTES, size - 8):
            raise ValueError(f'{path} is not a safetensors file (no valid header).')
        try:
            header = json.loads(f.read(length))
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise ValueError(f'{path} is not a safetensors file ({error}).') from None
    metadata = header.pop('__metadata__', None) or {}
    tensors: Dict[str, TensorInfo] = {}
    start = 8 + length
    for name, entry in header.items():
        try:
            dtype = DTYPES[entry['dtype']]
            shape = tuple(int(n) for n in entry['shape'])
            begin, end = (int(n) for n in entry['data_offsets'])
        except (KeyError, TypeError, ValueError):
            raise ValueError(f'{path}: tensor {name!r} has a header entry this reader does '
                             f'not understand: {entry}.') from None
        nbytes = math.prod(shape) * torch.empty((), dtype=dtype).element_size()
        if end - begin != nbytes:
            raise ValueError(f'{path}: tensor {name!r} of shape {shape} ({entry["dtype"]}) '
                             f'claims {end - begin} bytes, not {nbytes}.')
        tensors[name] = TensorInfo(dtype, shape, start + begin, start + end)
    last = max((t.end for t in tensors.values()), default=start)
    if last > size:
        raise ValueError(f'{path} is cut short: its tensors end at byte {last} but the file '
                         f'has {size}. Download or copy it again.')
    return dict(sorted(tensors.items(), key=lambda item: item[1].begin)), metadata


def _strides(shape: Tuple[int, ...]) -> Tuple[int, ...]:
    """The strides of a contiguous tensor of ``shape``."""
    strides, step = [], 1
    for n in reversed(shape):
        strides.append(step)
        step *= n
    return tuple(reversed(strides))


def _read(f, info: TensorInfo) -> torch.Tensor:
    tensor = torch.empty(info.shape, dtype=info.dtype)
    if tensor.numel():
        f.seek(info.begin)
        f.readinto(memoryview(tensor.reshape(-1).view(torch.uint8).numpy()))
    return tensor


def iter_safetensors(path: str, names: Optional[Sequence[str]] = None
                     ) -> Iterator[Tuple[str, torch.Tensor]]:
    """``(name, tensor)`` of a file one at a time (file order, or ``names``' order), read
    into fresh memory: only the tensor being handled is held."""
    tensors, _ = read_header(path)
    with open(path, 'rb') as f:
        for name in (names if names is not None else list(tensors)):
            yield name, _read(f, tensors[name])


def load_safetensors(path: str, dtype: Optional[torch.dtype] = None,
                     mmap: bool = True) -> Dict[str, torch.Tensor]:
    """The tensors of a safetensors file; floating-point ones in ``dtype`` when given.

    With ``mmap``, tensors already in their final dtype are views of a private,
    read-only-in-practice mapping of the file (copy-on-write: writing to one never
    changes the file); others are read and converted one at a time.
    """
    tensors, _ = read_header(path)
    storage = None
    if mmap and tensors:
        storage = torch.UntypedStorage.from_file(path, shared=False,
                                                 nbytes=osp.getsize(path))
    out: Dict[str, torch.Tensor] = {}
    with open(path, 'rb') as f:
        for name, info in tensors.items():
            target = dtype if dtype is not None and info.dtype.is_floating_point else info.dtype
            size = torch.empty((), dtype=info.dtype).element_size()
            if storage is not None and target == info.dtype and info.begin % size == 0:
                view = torch.empty(0, dtype=info.dtype)
                view.set_(storage, info.begin // size, info.shape, _strides(info.shape))
                out[name] = view
            else:
                out[name] = _read(f, info).to(target)
    return out


def safetensors_metadata(path: str) -> Dict[str, str]:
    """The ``__metadata__`` of a safetensors file."""
    return read_header(path)[1]


class SafetensorsWriter:
    """Writes a safetensors file tensor by tensor: the names, dtypes and shapes are given
    first, then each tensor is written with :meth:`write` in that order.

    The file is written to ``<path>.partial`` and renamed into place by :meth:`close`
    once every tensor is there; leaving the ``with`` block on an error removes it.
    """

    def __init__(self, path: str, layout: Iterable[Tuple[str, torch.dtype, Sequence[int]]],
                 metadata: Optional[Dict[str, str]] = None):
        self.path, self.partial = path, path + '.partial'
        header: Dict[str, object] = {}
        if metadata:
            header['__metadata__'] = {str(k): str(v) for k, v in metadata.items()}
        self._order = []
        offset = 0
        for name, dtype, shape in layout:
            nbytes = math.prod(shape) * torch.empty((), dtype=dtype).element_size()
            header[name] = dict(dtype=NAMES[dtype], shape=[int(n) for n in shape],
                                data_offsets=[offset, offset + nbytes])
            self._order.append((name, dtype, tuple(int(n) for n in shape)))
            offset += nbytes
        text = json.dumps(header, separators=(',', ':')).encode()
        text += b' ' * (-len(text) % 8)  # tensors start 8-byte aligned, as safetensors does
        os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
        self._size = 8 + len(text) + offset
        self._file = open(self.partial, 'wb')
        self._next = 0
        self._guard(self._file.write, struct.pack('<Q', len(text)) + text)

    def _guard(self, operation, *args):
        """Run a write; a failed one removes the partial file and is a one-line
        :class:`~vitok_mm.utils.storage.StorageError` naming the file and its size."""
        from .storage import is_write_failure, remove_quietly, storage_error
        try:
            return operation(*args)
        except (OSError, RuntimeError) as error:
            if not is_write_failure(error):
                raise
            with contextlib.suppress(OSError):
                self._file.close()
            remove_quietly(self.partial)
            raise storage_error(self.path, error, self._size) from error

    def write(self, name: str, tensor: torch.Tensor) -> None:
        """The next tensor of the layout (its name, dtype and shape must be the announced ones)."""
        expected = self._order[self._next] if self._next < len(self._order) else None
        if expected is None or (name, tensor.dtype, tuple(tensor.shape)) != expected:
            raise ValueError(f'{self.path}: got {name} {tensor.dtype} {tuple(tensor.shape)}, '
                             f'the layout expects {expected} next.')
        if tensor.numel():
            data = tensor.detach().cpu().contiguous().reshape(-1).view(torch.uint8)
            self._guard(self._file.write, memoryview(data.numpy()))
        self._next += 1

    def close(self) -> None:
        """Finish the file and rename it into place.

        Raises:
            ValueError: tensors of the layout were not written.
        """
        self._guard(self._file.close)
        if self._next != len(self._order):
            os.remove(self.partial)
            raise ValueError(f'{self.path}: {len(self._order) - self._next} tensor(s) of the '
                             'layout were not written.')
        self._guard(os.replace, self.partial, self.path)

    def __enter__(self) -> 'SafetensorsWriter':
        return self

    def __exit__(self, kind, error, traceback) -> None:
        if kind is None:
            self.close()
        else:
            with contextlib.suppress(OSError):
                self._file.close()
            if osp.exists(self.partial):
                os.remove(self.partial)


def save_safetensors(tensors: Dict[str, torch.Tensor], path: str,
                     metadata: Optional[Dict[str, str]] = None) -> None:
    """Write ``tensors`` to ``path`` (atomically, one tensor at a time)."""
    with SafetensorsWriter(path, [(k, v.dtype, v.shape) for k, v in tensors.items()],
                           metadata) as writer:
        for name, tensor in tensors.items():
            writer.write(name, tensor)


__all__ = ['DTYPES', 'SafetensorsWriter', 'TensorInfo', 'iter_safetensors',
           'load_safetensors', 'read_header', 'safetensors_metadata', 'save_safetensors']
