"""Colour shift: how far a reconstruction moves each channel's mean.

An auto-encoder that loses a picture's mean colour is broken in a way every viewer sees
(a cast over skies and walls), even when PSNR averaged over photos looks fine; good
tokenizers keep each channel's mean within about one 8-bit level.
"""
import torch


def colour_shift(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Per image and channel, the mean of ``pred - target`` in 8-bit levels (x 255 of
    [0, 1] pixels): ``(N, C, H, W)`` or ``(N, C, T, H, W)`` -> ``(N, C)``, signed
    (negative: the reconstruction is darker in that channel)."""
    if pred.shape != target.shape:
        raise ValueError(f'colour_shift: shapes differ, {tuple(pred.shape)} vs '
                         f'{tuple(target.shape)}.')
    if pred.ndim not in (4, 5):
        raise ValueError(f'colour_shift takes (N, C, H, W) or (N, C, T, H, W), got '
                         f'{tuple(pred.shape)}.')
    return (pred.double() - target.double()).flatten(2).mean(2) * 255.0
