"""Classifier-free guidance of a label-conditional model, optionally on an interval."""
import math
from typing import Callable, Optional, Sequence

import torch


def check_guidance(scale: float, interval: Optional[Sequence[float]] = None) -> None:
    """Raise ``ValueError`` for a guidance scale or interval that cannot be used."""
    if not isinstance(scale, (int, float)) or not math.isfinite(scale) or scale < 0:
        raise ValueError(f'guidance scale (cfg_scale, --cfg-scale) must be a finite number '
                         f'>= 0 (1: no guidance; the paper samples with 1.5), got {scale!r}.')
    if interval is None:
        return
    try:
        lo, hi = (float(v) for v in interval)
    except (TypeError, ValueError):
        raise ValueError(f'guidance interval must be two noise levels (lo, hi), got '
                         f'{interval!r}.') from None
    if not (0 <= lo <= 1 and 0 <= hi <= 1):
        raise ValueError(f'guidance interval {tuple(interval)} must lie in [0, 1] '
                         f'(0 data, 1 noise); clip its ends to [0, 1].')
    if lo > hi:
        raise ValueError(f'guidance interval {tuple(interval)} has lo > hi; give it as '
                         f'(lo, hi), e.g. ({hi}, {lo}).')


def classifier_free_guidance(model_fn: Callable, cond: torch.Tensor, null_cond: torch.Tensor,
                             scale: float, channels: int,
                             interval: Optional[Sequence[float]] = None,
                             noise_level: Optional[Callable] = None) -> Callable:
    """Wrap ``model_fn(x, t, y)`` into the guided ``fn(x, t)`` a solver calls.

    ``fn(x (N, C, *grid), t (N,)) -> (N, K, *grid)``, ``K`` the model's output channels.
    With ``scale == 1`` it is one conditional pass. Otherwise one batched pass over
    ``[x, x]``, ``[t, t]``, ``[cond, null_cond]`` gives the conditional half ``c`` and
    the unconditional half ``u``; the first ``channels`` output channels (the prediction,
    all latent channels) become ``u + scale (c - u)``, later ones (a learned variance) are
    ``c``'s. The reference DiT guides only the first 3 channels of its 4-channel latents
    (an artefact of its code); we guide them all.

    With ``interval = (lo, hi)`` guidance applies only to samples whose
    ``noise_level(t)`` (the process's :meth:`noise_level`) lies in ``[lo, hi]``, the others
    get ``c``; when no sample of a call is inside, the unconditional pass is skipped.

    Args:
        model_fn: ``(x, t, y (N,)) -> (N, K, *grid)``.
        cond, null_cond: ``(N,)`` labels and the null ("no class") labels.
        scale: guidance scale ``>= 0``.
        channels: leading output channels to guide (the latent channels ``C``).
        interval: noise levels in ``[0, 1]`` where guidance applies; None: everywhere.
        noise_level: model time ``(N,)`` -> ``(N,)`` in ``[0, 1]``, needed with ``interval``.
    """
    check_guidance(scale, interval)
    if interval is not None and noise_level is None:
        raise ValueError('a guidance interval needs noise_level (the process\'s '
                         'noise_level method) to place each timestep on [0, 1].')

    def conditional(x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        return model_fn(x, t, cond)

    if scale == 1:
        return conditional

    def guided(x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        inside = None
        if interval is not None:
            level = noise_level(t)
            inside = (level >= interval[0]) & (level <= interval[1])
            if not bool(inside.any()):
                return conditional(x, t)
        out = model_fn(torch.cat([x, x]), torch.cat([t, t]), torch.cat([cond, null_cond]))
        c, u = out.chunk(2)
        mix = u[:, :channels] + scale * (c[:, :channels] - u[:, :channels])
        if inside is not None:
            mix = torch.where(inside.view(-1, *([1] * (x.ndim - 1))), mix, c[:, :channels])
        return torch.cat([mix, c[:, channels:]], dim=1)

    return guided
