"""Peak signal-to-noise ratio."""
import torch


def psnr(pred: torch.Tensor, target: torch.Tensor, data_range: float = 1.0) -> torch.Tensor:
    """PSNR in dB of each image: ``(N, C, H, W)`` (or ``(N, C, T, H, W)``) -> ``(N,)``.

    Inputs in ``[0, data_range]``; computed in float64. Identical images give ``inf``.
    """
    if pred.shape != target.shape:
        raise ValueError(f'psnr: shapes differ, {tuple(pred.shape)} vs {tuple(target.shape)}.')
    mse = (pred.double() - target.double()).square().flatten(1).mean(1)
    return 10.0 * torch.log10(data_range ** 2 / mse)
