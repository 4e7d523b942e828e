"""Flow matching on the straight (rectified-flow) path from data to noise."""
import math
from typing import Callable, Dict, Optional

import torch

from vitok_mm.registry import DIFFUSION_SCHEDULERS

TIME_SAMPLINGS = ('uniform', 'logit_normal')
PREDICTIONS = ('velocity', 'data')


@DIFFUSION_SCHEDULERS.register_module()
class FlowMatching:
    """``x_t = (1 - t) x0 + t eps`` for ``t`` in ``[0, 1]`` (1 is noise); the model
    predicts the velocity ``eps - x0`` (``prediction='velocity'``), or the clean latents
    ``x0`` (``prediction='data'``, as JiT: Li & He, 2025), turned into the velocity
    ``(x_t - x0_hat) / max(t, min_time)``. Either way the loss is the velocity's MSE and
    the solvers integrate the velocity; a data-predicting model need not output the
    noise's high-dimensional part.

    Training times are uniform or logit-normal (``sigmoid(N(logit_mean, logit_std^2))``,
    SD3), then shifted by ``t -> s t / (1 + (s - 1) t)`` (SD3's timestep shift, ``s = 1``
    none; ``s > 1`` spends more time near noise). The solvers' grids get the same shift.
    The model sees ``t * time_scale`` (a DiT's embedder expects DDPM-like magnitudes).

    Shapes: ``x0 (N, C, *grid)``, times ``(N,)`` float; the model returns ``(N, C, *grid)``.

    Args:
        time_sampling: ``'uniform'`` or ``'logit_normal'``.
        logit_mean, logit_std: the logit-normal's parameters.
        shift: the timestep shift ``s > 0``.
        time_scale: model time per unit of ``t``.
        prediction: ``'velocity'`` or ``'data'``.
        min_time: with ``'data'``, the smallest ``t`` the velocity divides by.
    """

    def __init__(self, time_sampling: str = 'uniform', logit_mean: float = 0.0,
                 logit_std: float = 1.0, shift: float = 1.0, time_scale: float = 1000.0,
                 prediction: str = 'velocity', min_time: float = 0.05):
        if time_sampling not in TIME_SAMPLINGS:
            raise ValueError(
                f'time_sampling must be one of {TIME_SAMPLINGS}, got {time_sampling!r}.')
        if prediction not in PREDICTIONS:
            raise ValueError(f'prediction must be one of {PREDICTIONS}, got {prediction!r}.')
        if not 0 < min_time < 1:
            raise ValueError(f'min_time must be in (0, 1), got {min_time!r}.')
        self.prediction = prediction
        self.min_time = min_time
        for name, value in (('logit_std', logit_std), ('shift', shift),
                            ('time_scale', time_scale)):
            if not (math.isfinite(value) and value > 0):
                raise ValueError(f'{name} must be a finite number > 0, got {value!r}.')
        self.time_sampling = time_sampling
        self.logit_mean = logit_mean
        self.logit_std = logit_std
        self.shift = shift
        self.time_scale = time_scale

    def output_channels(self, channels: int) -> int:
        return channels

    def model_time(self, t: torch.Tensor) -> torch.Tensor:
        """``t (N,)`` in ``[0, 1]`` -> ``t * time_scale``, float32 ``(N,)``."""
        return t.float() * self.time_scale

    def noise_level(self, t_model: torch.Tensor) -> torch.Tensor:
        """Model time ``(N,)`` -> ``t`` in ``[0, 1]`` (0 data, 1 noise)."""
        return t_model.float() / self.time_scale

    def shift_time(self, t: torch.Tensor) -> torch.Tensor:
        """SD3's shift ``s t / (1 + (s - 1) t)``: fixes 0 and 1, monotone."""
        return self.shift * t / (1 + (self.shift - 1) * t)

    def sample_timesteps(self, n: int, device=None,
                         generator: Optional[torch.Generator] = None) -> torch.Tensor:
        """``n`` shifted training times, ``(n,)`` float32 in ``[0, 1]``."""
        if self.time_sampling == 'uniform':
            t = torch.rand(n, device=device, generator=generator)
        else:
            t = torch.sigmoid(self.logit_mean + self.logit_std * torch.randn(
                n, device=device, generator=generator))
        return self.shift_time(t)

    def time_grid(self, num_steps: int, device=None) -> torch.Tensor:
        """The solvers' ``num_steps + 1`` shifted times from 1 (noise) down to 0, float64."""
        return self.shift_time(torch.linspace(1.0, 0.0, num_steps + 1, dtype=torch.float64,
                                              device=device))

    def velocity(self, output: torch.Tensor, x_t: torch.Tensor,
                 t: torch.Tensor) -> torch.Tensor:
        """The velocity of the model's ``output`` at ``x_t`` and times ``t (N,)`` in
        ``[0, 1]``: the output itself, or ``(x_t - output) / max(t, min_time)`` for a
        data-predicting model. Float32, the shape of ``x_t``."""
        if self.prediction == 'velocity':
            return output.float()
        t = t.float().clamp(min=self.min_time).view(-1, *([1] * (x_t.ndim - 1)))
        return (x_t.float() - output.float()) / t

    def interpolate(self, x0: torch.Tensor, t: torch.Tensor,
                    noise: torch.Tensor) -> torch.Tensor:
        """``x_t = (1 - t) x0 + t noise`` with ``t (N,)``."""
        t = t.float().view(-1, *([1] * (x0.ndim - 1)))
        return (1 - t) * x0 + t * noise

    def training_losses(self, model_fn: Callable, x0: torch.Tensor,
                        t: Optional[torch.Tensor] = None, noise: Optional[torch.Tensor] = None,
                        generator: Optional[torch.Generator] = None) -> Dict[str, torch.Tensor]:
        """MSE between the model's velocity (:meth:`velocity`) and ``noise - x0``.

        Args:
            model_fn: ``(x_t (N, C, *grid), model_time (N,)) -> (N, C, *grid)``.
            x0: ``(N, C, *grid)`` clean latents.
            t: ``(N,)`` times in ``[0, 1]``, used as given (already shifted); sampled
                with :meth:`sample_timesteps` when None.
            noise: like ``x0``; drawn with ``generator`` when None.

        Returns:
            ``loss`` and ``mse`` (the same), each ``(N,)``.
        """
        if t is None:
            t = self.sample_timesteps(x0.shape[0], x0.device, generator)
        if noise is None:
            noise = torch.randn(x0.shape, generator=generator, device=x0.device,
                                dtype=x0.dtype)
        x_t = self.interpolate(x0, t, noise)
        output = model_fn(x_t, self.model_time(t)).float()
        if output.shape != x0.shape:
            raise ValueError(f'the model output has shape {tuple(output.shape)}, expected the '
                             f'latents\' {tuple(x0.shape)} (FlowMatching predicts '
                             f'{self.prediction}).')
        velocity = self.velocity(output, x_t, t)
        mse = ((noise.float() - x0.float() - velocity) ** 2).flatten(1).mean(dim=1)
        return dict(loss=mse, mse=mse)
