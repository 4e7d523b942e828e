"""One writer per folder: an advisory lock that a run holds on its work dir.

A second run on the same folder (a Slurm requeue while the old job still runs, a double
click, two extractions into one cache) would write the same files at once. The first
process to start takes an exclusive ``flock`` on ``<folder>/.vitok_mm.lock`` and keeps
it for its life; the kernel releases it when the process ends, however it ends, so a
crashed or killed run never blocks its rerun. The file holds who has it (host, pid,
start time, command), which a refused run names in its one-line error.

``flock`` is reliable on local filesystems and on most cluster filesystems (Lustre,
GPFS, NFSv4 with working locks). On some NFS setups it is not: locks may be refused
(then the run goes on, with a warning) or not seen by other hosts (then the lock cannot
protect the folder). ``VITOK_MM_NO_LOCK=1`` skips the lock for users who know the folder
has one writer.
"""
import datetime
import errno
import json
import os
import os.path as osp
import socket
import sys
import warnings
from typing import Dict, Optional

LOCK_FILE = '.vitok_mm.lock'
#: Set to 1 to skip the lock.
NO_LOCK_ENV = 'VITOK_MM_NO_LOCK'
#: Folders this process holds: real path -> [file descriptor, holders in this process].
_HELD: Dict[str, list] = {}


class FolderInUseError(Exception):
    """Another live process holds the folder's lock; the message names it."""


def process_rank() -> int:
    """This process's global rank from the launcher's environment (0 when alone)."""
    for name in ('RANK', 'SLURM_PROCID'):
        value = os.environ.get(name)
        if value is not None and value.strip().isdigit():
            return int(value)
    return 0


def _holder_text(fd: int) -> str:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        holder = json.loads(os.read(fd, 65536).decode() or '{}')
    except (OSError, ValueError):
        holder = {}
    if not holder:
        return 'another process (it has not written its name yet)'
    return (f'another {holder.get("what", "process")}: pid {holder.get("pid")} on '
            f'{holder.get("host")} since {holder.get("since")} ({holder.get("command")})')


def lock_folder(folder: str, what: str = 'run') -> Optional[str]:
    """Take ``folder``'s lock for the rest of this process's life (rank 0 of a distributed
    run only: its other processes share it); ``what`` names this process to a refused
    one (``'training run'``). Returns the lock file's path, or None when
    skipped (another rank, ``VITOK_MM_NO_LOCK=1``, a filesystem without locks).

    Raises:
        FolderInUseError: a live process holds it; the message names that process, the
            wait-or-stop fix and the escape.
    """
    if process_rank() != 0 or os.environ.get(NO_LOCK_ENV, '') not in ('', '0'):
        return None
    real = osp.realpath(folder)
    path = osp.join(folder, LOCK_FILE)
    if real in _HELD:  # this process has it already (a second runner on the folder)
        _HELD[real][1] += 1
        return path
    import fcntl
    os.makedirs(folder, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as error:
        if error.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
            holder = _holder_text(fd)
            os.close(fd)
            raise FolderInUseError(
                f'{folder} is in use by {holder}. One folder takes one '
                'writer: wait for it to end or stop it, or use another folder. If that '
                f'process is gone and the lock is stale (flock does not hold on some NFS '
                f'mounts), set {NO_LOCK_ENV}=1 to skip the lock.') from None
        os.close(fd)
        warnings.warn(f'{folder}: this filesystem refuses file locks ({error.strerror}); '
                      'nothing stops a second run from writing into it at the same time.',
                      stacklevel=2)
        return None
    holder = dict(what=what, host=socket.gethostname(), pid=os.getpid(),
                  since=datetime.datetime.now().isoformat(timespec='seconds'),
                  command=' '.join([osp.basename(sys.executable)] + sys.argv)[:500])
    os.ftruncate(fd, 0)
    os.lseek(fd, 0, os.SEEK_SET)
    os.write(fd, (json.dumps(holder) + '\n').encode())
    _HELD[real] = [fd, 1]
    return path


def unlock_folder(folder: str) -> None:
    """Release a lock this process took, once every holder in it has (the kernel
    releases it at exit anyway)."""
    held = _HELD.get(osp.realpath(folder))
    if held is None:
        return
    held[1] -= 1
    if held[1] <= 0:
        del _HELD[osp.realpath(folder)]
        os.close(held[0])


__all__ = ['FolderInUseError', 'LOCK_FILE', 'NO_LOCK_ENV', 'lock_folder', 'process_rank',
           'unlock_folder']
