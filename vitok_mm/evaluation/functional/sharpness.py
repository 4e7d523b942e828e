"""High-frequency energy ratio: how much fine detail a reconstruction keeps.

A reconstruction trained with pixel losses alone is blurred (ratio below 1); a GAN loss
restores detail (ratio towards 1) or adds spurious texture (above 1). It needs no
pretrained network, so it runs where rFID cannot (no Inception weights); it is a
diagnostic next to PSNR/SSIM, not a substitute for rFID.
"""
import torch
import torch.nn.functional as F

LAPLACIAN = ((0., 1., 0.), (1., -4., 1.), (0., 1., 0.))


def laplacian_energy(x: torch.Tensor) -> torch.Tensor:
    """Mean squared response of the 3x3 Laplacian (valid positions) per image:
    ``(N, C, H, W)`` or ``(N, C, T, H, W)`` (frames as images) -> ``(N,)``."""
    if x.ndim == 5:
        n = x.shape[0]
        return laplacian_energy(x.transpose(1, 2).flatten(0, 1)).view(n, -1).mean(1)
    if x.ndim != 4 or min(x.shape[-2:]) < 3:
        raise ValueError(f'laplacian_energy takes (N, C, H, W) with H, W >= 3, got '
                         f'{tuple(x.shape)}.')
    channels = x.shape[1]
    kernel = torch.tensor(LAPLACIAN, dtype=torch.float64, device=x.device)
    kernel = kernel.expand(channels, 1, 3, 3)
    return F.conv2d(x.double(), kernel, groups=channels).square().flatten(1).mean(1)


def high_frequency_ratio(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """``laplacian_energy(pred) / laplacian_energy(target)`` per image -> ``(N,)``;
    1.0 when the reconstruction has as much fine detail as the original."""
    if pred.shape != target.shape:
        raise ValueError(f'high_frequency_ratio: shapes differ, {tuple(pred.shape)} vs '
                         f'{tuple(target.shape)}.')
    return laplacian_energy(pred) / laplacian_energy(target).clamp_min(1e-12)
