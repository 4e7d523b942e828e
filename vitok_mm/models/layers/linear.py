"""The linear layer of every tower, with a faster float32 CPU inference path."""
import torch
import torch.nn.functional as F
from torch import nn


def _onednn_linear():
    if not torch.backends.mkldnn.is_available():
        return None
    return getattr(getattr(torch.ops, 'mkldnn', None), '_linear_pointwise', None)


_ONEDNN_LINEAR = _onednn_linear()


class Linear(nn.Linear):
    """``nn.Linear`` whose float32 CPU inference runs on oneDNN instead of BLAS.

    PyTorch sends float32 CPU matmuls to MKL, which picks a slow code path on
    non-Intel processors (about half of oneDNN's GEMM rate on the AMD machines we
    measured; see ``tools/analysis_tools/benchmark.py``). Without gradients, outside
    autocast, the same product goes through oneDNN; everything else (training,
    bf16, CUDA, the meta device used for FLOP counting) is plain ``F.linear``.
    Parameters and state-dict keys are ``nn.Linear``'s.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if (_ONEDNN_LINEAR is not None and x.device.type == 'cpu' and x.dtype == torch.float32
                and not torch.is_grad_enabled() and not torch.is_autocast_enabled('cpu')):
            return _ONEDNN_LINEAR(x, self.weight, self.bias, 'none', [], '')
        return F.linear(x, self.weight, self.bias)
