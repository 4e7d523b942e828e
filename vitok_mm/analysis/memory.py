"""Peak memory of one call: what it needs on top of what is allocated or resident before it.

CUDA: ``torch.cuda.max_memory_allocated()`` minus ``memory_allocated()`` before the run.
CPU: the peak resident set size (``VmHWM`` of ``/proc/self/status``, reset by writing 5
to ``/proc/self/clear_refs``) minus the resident size before the run; freed heap is first
handed back with glibc's ``malloc_trim``, otherwise memory kept from an earlier run would
be reused without showing up. Where the peak cannot be reset (not Linux) the increase of
``getrusage``'s ``ru_maxrss`` is used, a lower bound.
"""
import contextlib
import ctypes
import ctypes.util
import resource
import sys
from typing import Callable

import torch

from .device import synchronize

MIB = 2 ** 20


def _status_kib(field_name: str) -> int:
    with open('/proc/self/status') as status:
        for line in status:
            if line.startswith(field_name + ':'):
                return int(line.split()[1])
    raise OSError(f'{field_name} is not in /proc/self/status')


def reset_peak_rss() -> bool:
    """Set VmHWM back to the current resident size (Linux >= 4.0); False where impossible."""
    try:
        with open('/proc/self/clear_refs', 'w') as clear_refs:
            clear_refs.write('5')
        _status_kib('VmHWM')
    except OSError:
        return False
    return True


def release_free_heap() -> None:
    """Return freed heap pages to the OS so that reusing them raises the resident size."""
    libc_name = ctypes.util.find_library('c')
    with contextlib.suppress(OSError, AttributeError, TypeError):
        ctypes.CDLL(libc_name).malloc_trim(0)


def max_rss_bytes() -> int:
    """The process's peak resident size so far, as ``getrusage`` reports it, in bytes."""
    scale = 1 if sys.platform == 'darwin' else 1024  # bytes on macOS, KiB on Linux
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale


def memory_method(device: torch.device) -> str:
    """How :func:`peak_memory` measures on ``device``, for a report."""
    if device.type == 'cuda':
        return 'torch.cuda.max_memory_allocated - memory_allocated before the run'
    if reset_peak_rss():
        return 'peak RSS (VmHWM, reset via clear_refs) - RSS before the run, after malloc_trim'
    return 'increase of getrusage ru_maxrss (lower bound: the peak cannot be reset here)'


def peak_memory(run: Callable[[], object], device: torch.device) -> int:
    """Bytes that ``run()`` needs beyond what is allocated (CUDA) or resident (CPU) before it.

    On CPU this counts the whole process: other threads allocating meanwhile count too.
    """
    if device.type == 'cuda':
        synchronize(device)
        torch.cuda.reset_peak_memory_stats(device)
        before = torch.cuda.memory_allocated(device)
        run()
        synchronize(device)
        return torch.cuda.max_memory_allocated(device) - before
    release_free_heap()
    if reset_peak_rss():
        before = _status_kib('VmRSS')
        run()
        return max(0, _status_kib('VmHWM') - before) * 1024
    before = max_rss_bytes()
    run()
    return max_rss_bytes() - before


__all__ = ['MIB', 'max_rss_bytes', 'memory_method', 'peak_memory', 'release_free_heap',
           'reset_peak_rss']
