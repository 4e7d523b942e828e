"""The machine's GEMM peak: the rate a model's multiply-accumulates are measured against."""
import time
from typing import Callable, Dict, Optional

import torch
import torch.nn.functional as F

from vitok_mm.models.layers import Linear

from .device import DTYPES, synchronize

#: Side of the square GEMM that measures the peak: large enough to reach it, small
#: enough to take well under a second.
GEMM_SIZE = {'cpu': 2048, 'cuda': 8192}


def best_rate(run: Callable[[], object], macs: int, device: torch.device,
              repeats: int = 5) -> float:
    """GMAC/s of the fastest of ``repeats`` runs of ``run()`` (after two warmup runs).

    Raises:
        ValueError: ``repeats`` < 1 or ``macs`` < 1.
    """
    if repeats < 1 or macs < 1:
        raise ValueError(f'repeats and macs must be >= 1, got {repeats} and {macs}.')
    seconds = []
    for index in range(2 + repeats):
        synchronize(device)
        start = time.perf_counter()
        run()
        synchronize(device)
        if index >= 2:
            seconds.append(time.perf_counter() - start)
    return macs / min(seconds) / 1e9


def gemm_kernels(a: torch.Tensor, b: torch.Tensor) -> Dict[str, Callable[[], torch.Tensor]]:
    """The ways torch can run the GEMM of two square ``(S, S)`` matrices on their device.

    ``'torch.matmul'``: ``a @ b`` (the BLAS on CPU). On CPU with oneDNN also
    ``'oneDNN (1x1 conv)'``: ``b @ a`` as a 1x1 convolution, returned as
    ``(1, S, S, 1)``; and ``'vitok_mm Linear'``: ``a @ b.T`` by the towers' linear
    layer (oneDNN for float32 CPU inference). Each kernel returns its product; all
    cost ``S**3`` multiply-accumulates.

    Raises:
        ValueError: ``a`` and ``b`` are not square matrices of one size.
    """
    if a.ndim != 2 or a.shape[0] != a.shape[1] or b.shape != a.shape:
        raise ValueError(f'gemm_kernels takes two (S, S) matrices, got {tuple(a.shape)} and '
                         f'{tuple(b.shape)}.')
    size = a.shape[0]
    kernels = {'torch.matmul': lambda: torch.mm(a, b)}
    if a.device.type == 'cpu' and torch.backends.mkldnn.is_available():
        # The same GEMM as a 1x1 convolution runs on oneDNN's kernels, not the BLAS.
        image, weight = a.view(1, size, size, 1), b.view(size, size, 1, 1)
        kernels['oneDNN (1x1 conv)'] = lambda: F.conv2d(image, weight)
        # The linear layer the towers use (oneDNN for float32 CPU inference).
        linear = Linear(size, size, bias=False).to(a.dtype)
        linear.weight.data.copy_(b)
        kernels['vitok_mm Linear'] = lambda: linear(a)
    return kernels


def gemm_peak(device: torch.device, dtype: str, size: Optional[int] = None,
              repeats: int = 5) -> Dict[str, float]:
    """GMAC/s of a square GEMM in ``dtype``, by each kernel of :func:`gemm_kernels`.

    Args:
        device: where to run it.
        dtype: ``'fp32'`` or ``'bf16'``.
        size: the matrices' side (default :data:`GEMM_SIZE` of the device type).
        repeats: timed runs per kernel; the fastest counts.

    Raises:
        ValueError: an unknown ``dtype`` or a ``size`` < 1.
    """
    if dtype not in DTYPES:
        raise ValueError(f'dtype must be one of {sorted(DTYPES)}, got {dtype!r}.')
    size = GEMM_SIZE[device.type] if size is None else size
    if size < 1:
        raise ValueError(f'size must be >= 1, got {size}.')
    a = torch.randn(size, size, device=device, dtype=DTYPES[dtype])
    b = torch.randn(size, size, device=device, dtype=DTYPES[dtype])
    with torch.inference_mode():
        return {name: best_rate(kernel, size ** 3, device, repeats)
                for name, kernel in gemm_kernels(a, b).items()}


__all__ = ['GEMM_SIZE', 'best_rate', 'gemm_kernels', 'gemm_peak']
