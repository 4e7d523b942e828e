"""Writing files that either appear whole or not at all, and failing in one clear line.

Every writer of the project stages its file under a temporary name and renames it into
place when complete (:func:`staged_file`). When the write fails (no space, quota,
permission, an I/O error) the partial file is removed, so it does not keep holding the
space, and a :class:`StorageError` says which file, how large it is, how much space is
free on that filesystem and what to do; the command-line tools print it as one line.
"""
import contextlib
import errno
import os
import os.path as osp
import shutil
from typing import Iterator, Optional

#: errno -> (what happened, what to do).
_REASONS = {
    errno.ENOSPC: ('no space left on the device', 'free space there or write elsewhere'),
    errno.EDQUOT: ('disk quota exceeded', 'free space in your quota or write elsewhere'),
    errno.EACCES: ('permission denied', 'make the folder writable or write elsewhere'),
    errno.EPERM: ('operation not permitted', 'make the folder writable or write elsewhere'),
    errno.EROFS: ('read-only file system', 'write to a writable filesystem'),
    errno.EIO: ('input/output error', 'check the disk or filesystem, or write elsewhere'),
}


class StorageError(Exception):
    """A file could not be written; the message names it, its size, the free space and
    the fix. Nothing partial is left behind."""

    def __init__(self, message: str, target: str = '', needed: Optional[int] = None,
                 free: Optional[int] = None):
        super().__init__(message)
        self.target, self.needed, self.free = target, needed, free


def human_bytes(size: Optional[int]) -> str:
    if size is None:
        return 'an unknown size'
    for unit, scale in (('GiB', 2 ** 30), ('MiB', 2 ** 20), ('KiB', 2 ** 10)):
        if size >= scale:
            return f'{size / scale:.1f} {unit}'
    return f'{size} bytes'


def free_bytes(path: str) -> Optional[int]:
    """Free bytes on the filesystem of ``path`` (its nearest existing folder)."""
    folder = osp.abspath(path)
    while folder and not osp.isdir(folder):
        parent = osp.dirname(folder)
        if parent == folder:
            return None
        folder = parent
    try:
        return shutil.disk_usage(folder).free
    except OSError:
        return None


def is_write_failure(error: BaseException) -> bool:
    """Whether ``error`` is a failed write: an ``OSError`` (not a missing file), or
    torch.save's ``RuntimeError`` from its zip writer (it reports a full disk as
    "unexpected pos" or "file write failed")."""
    if isinstance(error, FileNotFoundError):
        return False
    if isinstance(error, OSError):
        return True
    text = str(error)
    return isinstance(error, RuntimeError) and (
        'inline_container' in text or 'PytorchStreamWriter' in text
        or 'file write failed' in text)


def storage_error(target: str, error: BaseException, needed: Optional[int] = None,
                  rerun: str = 'rerun') -> StorageError:
    """The :class:`StorageError` for a failed write of ``target`` (about ``needed`` bytes).

    ``rerun``: what the user does once there is room (``'rerun with --resume: the earlier
    checkpoints are intact'``)."""
    free = free_bytes(target)
    code = getattr(error, 'errno', None)
    if code in _REASONS:
        reason, fix = _REASONS[code]
    elif free is not None and (free < 2 ** 20 or (needed is not None and free < needed)):
        reason, fix = _REASONS[errno.ENOSPC]  # torch's writer does not say why; this is why
    else:
        reason = (getattr(error, 'strerror', None) or str(error).splitlines()[0]
                  or type(error).__name__)
        fix = 'check the disk or write elsewhere'
    return StorageError(
        f'could not write {target}: {reason}; it needs about {human_bytes(needed)} and '
        f'{human_bytes(free)} is free on that filesystem. {fix[0].upper()}{fix[1:]}, then '
        f'{rerun}. No partial file was left.', target, needed, free)


def remove_quietly(path: str) -> None:
    """Remove a file or folder if it is there (a partial write being cleaned up)."""
    with contextlib.suppress(OSError):
        if osp.isdir(path) and not osp.islink(path):
            shutil.rmtree(path)
        elif osp.lexists(path):
            os.remove(path)


def partial_size(path: str) -> Optional[int]:
    """Bytes written so far to a partial file or folder."""
    try:
        if osp.isdir(path):
            return sum(osp.getsize(osp.join(root, name))
                       for root, _, names in os.walk(path) for name in names)
        return osp.getsize(path)
    except OSError:
        return None


@contextlib.contextmanager
def staged_file(path: str, needed: Optional[int] = None, suffix: str = '',
                rerun: str = 'rerun') -> Iterator[str]:
    """Yield a temporary name next to ``path`` to write; rename it to ``path`` when the
    block ends. A failed write removes it and raises :class:`StorageError`; any other
    error removes it and propagates. ``suffix`` keeps the extension a writer needs (PIL
    picks the format from it)."""
    partial = f'{path}.partial-{os.getpid()}{suffix}'
    try:
        yield partial
        os.replace(partial, path)
    except BaseException as error:
        written = partial_size(partial)
        remove_quietly(partial)
        if is_write_failure(error):
            size = max(filter(None, (needed, written)), default=None)
            raise storage_error(path, error, size, rerun) from error
        raise


__all__ = ['StorageError', 'free_bytes', 'human_bytes', 'is_write_failure', 'partial_size',
           'remove_quietly', 'staged_file', 'storage_error']
