"""The device a measurement runs on: choosing it, its threads, its name, waiting for it."""
import contextlib
import os
import platform
from typing import Iterator, Optional

import torch

#: ``--dtype`` names -> the dtype a measurement computes in.
DTYPES = {'fp32': torch.float32, 'bf16': torch.bfloat16}


def select_device(name: Optional[str] = None) -> torch.device:
    """``name`` (``'cpu'``/``'cuda'``), by default CUDA when torch can use it, else the CPU.

    Raises:
        ValueError: CUDA was asked for and torch cannot use it, or ``name`` is another word.
    """
    if name is None:
        name = 'cuda' if torch.cuda.is_available() else 'cpu'
    if name not in ('cpu', 'cuda'):
        raise ValueError(f"device must be 'cpu' or 'cuda', got {name!r}.")
    if name == 'cuda' and not torch.cuda.is_available():
        raise ValueError(
            f'--device cuda was requested, but CUDA is not available to torch '
            f'{torch.__version__} (CUDA build: {torch.version.cuda}); use --device cpu.')
    return torch.device(name)


def set_threads(threads: Optional[int] = None) -> int:
    """Use ``threads`` CPU threads, by default one per core this process may run on.

    torch's own default can be lower (physical cores of the whole machine, or a
    container's limit read differently), which would understate CPU throughput.
    Returns the number torch now uses.

    Raises:
        ValueError: ``threads`` < 1.
    """
    if threads is not None and threads < 1:
        raise ValueError(f'threads must be >= 1, got {threads}.')
    if threads is None:
        threads = len(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') \
            else (os.cpu_count() or 1)
    torch.set_num_threads(threads)
    return torch.get_num_threads()


def device_name(device: torch.device) -> str:
    """The GPU's name, or the CPU's model name (``/proc/cpuinfo``, else ``platform``)."""
    if device.type == 'cuda':
        return torch.cuda.get_device_name(device)
    with contextlib.suppress(OSError):
        with open('/proc/cpuinfo') as cpuinfo:
            for line in cpuinfo:
                if line.startswith('model name'):
                    return line.split(':', 1)[1].strip()
    return platform.processor() or platform.machine()


def synchronize(device: torch.device) -> None:
    """Wait for the device's queued work, so that a clock read after it counts it all."""
    if device.type == 'cuda':
        torch.cuda.synchronize(device)


@contextlib.contextmanager
def compute_context(device: torch.device, dtype: str) -> Iterator[None]:
    """Inference mode, plus bf16 autocast for ``dtype='bf16'``.

    Raises:
        ValueError: ``dtype`` is not a key of :data:`DTYPES`.
    """
    if dtype not in DTYPES:
        raise ValueError(f'dtype must be one of {sorted(DTYPES)}, got {dtype!r}.')
    with torch.inference_mode(), torch.autocast(device.type, dtype=torch.bfloat16,
                                                enabled=dtype == 'bf16'):
        yield


__all__ = ['DTYPES', 'compute_context', 'device_name', 'select_device', 'set_threads',
           'synchronize']
