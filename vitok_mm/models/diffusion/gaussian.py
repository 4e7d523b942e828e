"""The Gaussian (DDPM) diffusion process: linear betas, epsilon prediction, learned variance."""
from numbers import Integral
from typing import Callable, Dict, List, Optional

import numpy as np
import torch

from vitok_mm.registry import DIFFUSION_SCHEDULERS


def space_timesteps(num_timesteps: int, steps: int) -> List[int]:
    """``steps`` evenly spaced original timestep indices, sorted ascending.

    Both ends are kept (``0`` and ``num_timesteps - 1``), interior indices are rounded:
    the single-section case of improved DDPM's ``space_timesteps`` (DiT's ``"250"``).
    One step keeps only ``num_timesteps - 1``, so that it still starts from noise.
    """
    if isinstance(steps, bool) or not isinstance(steps, Integral) or not (
            1 <= steps <= num_timesteps):
        raise ValueError(
            f'steps must be an int in [1, {num_timesteps}] (num_timesteps) to respace '
            f'{num_timesteps} timesteps, got {steps!r}.')
    if steps == 1:
        return [num_timesteps - 1]
    # steps <= num_timesteps makes the stride >= 1, so rounding never merges two indices.
    return [int(i) for i in np.round(np.linspace(0, num_timesteps - 1, int(steps)))]


def _mean_flat(x: torch.Tensor) -> torch.Tensor:
    return x.flatten(1).mean(dim=1)


@DIFFUSION_SCHEDULERS.register_module()
class GaussianDiffusion:
    """DDPM with linear betas and epsilon prediction, optionally respaced.

    ``x_t = sqrt(ab_t) x0 + sqrt(1 - ab_t) eps`` with ``ab_t = prod_{s<=t} (1 - beta_s)``.
    A timestep ``t`` given to any method is an index into this process's schedule,
    ``(N,)`` long in ``[0, num_steps)``; the model sees :meth:`model_time`, the ORIGINAL
    index (``timesteps[t]``), so that a respaced process drives a model trained on all
    ``num_timesteps``. Without respacing (``steps=None``) the two coincide.

    Respacing keeps the original ``alphas_cumprod`` at :func:`space_timesteps` indices and
    derives the betas between them, ``beta'_i = 1 - ab[k_i] / ab[k_{i-1}]``.

    With ``learn_sigma`` the model outputs ``(N, 2C, *grid)``: epsilon, then ``v`` in
    ``[-1, 1]`` interpolating the log-variance between the clipped posterior variance
    (``v = -1``) and ``beta_t`` (``v = +1``), as improved DDPM / DiT. Without it the
    output is ``(N, C, *grid)`` and the variance is the posterior's ("fixed small").
    Predicted ``x0`` is never clipped: latents are unbounded.

    Schedules are float64 numpy arrays; tensors they scale are float32.

    Args:
        num_timesteps: the training process's length ``T``.
        beta_start, beta_end: ends of the linear beta schedule.
        learn_sigma: whether the model predicts the variance (doubles its output channels).
        steps: respace to this many steps (``None``: all ``num_timesteps``).
    """

    def __init__(self, num_timesteps: int = 1000, beta_start: float = 1e-4,
                 beta_end: float = 0.02, learn_sigma: bool = True,
                 steps: Optional[int] = None):
        if isinstance(num_timesteps, bool) or not isinstance(num_timesteps, Integral) or \
                num_timesteps < 2:
            raise ValueError(f'num_timesteps must be an int >= 2, got {num_timesteps!r}.')
        if not 0 < beta_start <= beta_end < 1:
            raise ValueError(
                f'betas must satisfy 0 < beta_start <= beta_end < 1, got beta_start='
                f'{beta_start}, beta_end={beta_end}; the DDPM defaults are 1e-4 and 0.02.')
        self.num_timesteps = int(num_timesteps)
        self.beta_start = beta_start
        self.beta_end = beta_end
        self.learn_sigma = learn_sigma
        full_alphas_cumprod = np.cumprod(
            1.0 - np.linspace(beta_start, beta_end, self.num_timesteps, dtype=np.float64))
        steps = self.num_timesteps if steps is None else steps
        self.timesteps = np.asarray(space_timesteps(self.num_timesteps, steps), dtype=np.int64)

        ab = full_alphas_cumprod[self.timesteps]
        ab_prev = np.append(1.0, ab[:-1])
        self.alphas_cumprod = ab
        self.alphas_cumprod_prev = ab_prev
        self.betas = 1.0 - ab / ab_prev
        self.posterior_variance = self.betas * (1.0 - ab_prev) / (1.0 - ab)
        # The posterior variance is 0 at t = 0; its log is clipped to the next value.
        # (One step has no next value: its t = 0 decodes to x0, use beta instead.)
        first = self.posterior_variance[1] if len(ab) > 1 else self.betas[0]
        self.posterior_log_variance_clipped = np.log(
            np.append(first, self.posterior_variance[1:]))
        self.posterior_mean_coef1 = self.betas * np.sqrt(ab_prev) / (1.0 - ab)
        self.posterior_mean_coef2 = (1.0 - ab_prev) * np.sqrt(1.0 - self.betas) / (1.0 - ab)

    @property
    def num_steps(self) -> int:
        """Length of this (possibly respaced) schedule."""
        return len(self.timesteps)

    def respace(self, steps: int) -> 'GaussianDiffusion':
        """The same process on ``steps`` of the original ``num_timesteps`` indices."""
        return GaussianDiffusion(self.num_timesteps, self.beta_start, self.beta_end,
                                 self.learn_sigma, steps=steps)

    def output_channels(self, channels: int) -> int:
        """Model output channels for ``channels`` latent channels."""
        return 2 * channels if self.learn_sigma else channels

    def model_time(self, t: torch.Tensor) -> torch.Tensor:
        """Schedule indices ``(N,)`` -> the original timestep indices as float32 ``(N,)``."""
        return torch.as_tensor(self.timesteps, device=t.device)[t].float()

    def noise_level(self, t_model: torch.Tensor) -> torch.Tensor:
        """Model time ``(N,)`` -> ``(N,)`` in ``[0, 1]``: ``t / (num_timesteps - 1)``.

        The fraction of the original index range (0 data, 1 noise), not a function of the
        signal-to-noise ratio; guidance intervals are given on this scale.
        """
        return t_model.float() / (self.num_timesteps - 1)

    def sample_timesteps(self, n: int, device=None,
                         generator: Optional[torch.Generator] = None) -> torch.Tensor:
        """``n`` uniform schedule indices, ``(n,)`` long."""
        return torch.randint(0, self.num_steps, (n,), device=device, generator=generator)

    def _extract(self, values: np.ndarray, t: torch.Tensor, ndim: int) -> torch.Tensor:
        """``values[t]`` as float32 ``(N, 1, ...)`` broadcasting against an ``ndim`` tensor."""
        out = torch.as_tensor(values, device=t.device)[t].float()
        return out.view(-1, *([1] * (ndim - 1)))

    def q_sample(self, x0: torch.Tensor, t: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
        """Noise ``x0 (N, C, *grid)`` to step ``t (N,)``: ``x_t``, same shape."""
        return (self._extract(np.sqrt(self.alphas_cumprod), t, x0.ndim) * x0
                + self._extract(np.sqrt(1.0 - self.alphas_cumprod), t, x0.ndim) * noise)

    def q_posterior_mean_variance(self, x0: torch.Tensor, x_t: torch.Tensor, t: torch.Tensor):
        """The true posterior ``q(x_{t-1} | x_t, x0)``: ``(mean, variance, log_variance)``.

        ``mean`` has the shape of ``x0``; the variances are ``(N, 1, ...)``, the log one
        clipped at ``t = 0``.
        """
        mean = (self._extract(self.posterior_mean_coef1, t, x_t.ndim) * x0
                + self._extract(self.posterior_mean_coef2, t, x_t.ndim) * x_t)
        return (mean, self._extract(self.posterior_variance, t, x_t.ndim),
                self._extract(self.posterior_log_variance_clipped, t, x_t.ndim))

    def predict_xstart(self, x_t: torch.Tensor, t: torch.Tensor,
                       eps: torch.Tensor) -> torch.Tensor:
        """``x0 = (x_t - sqrt(1 - ab_t) eps) / sqrt(ab_t)``, unclipped."""
        return (self._extract(np.sqrt(1.0 / self.alphas_cumprod), t, x_t.ndim) * x_t
                - self._extract(np.sqrt(1.0 / self.alphas_cumprod - 1.0), t, x_t.ndim) * eps)

    def split_output(self, model_output: torch.Tensor, channels: int):
        """``(N, output_channels(C), *grid)`` -> ``(eps, v)``; ``v`` is None without
        ``learn_sigma``."""
        if model_output.shape[1] != self.output_channels(channels):
            raise ValueError(
                f'the model output has {model_output.shape[1]} channels, expected '
                f'{self.output_channels(channels)} for {channels} latent channels with '
                f'learn_sigma={self.learn_sigma}; give the model output_channels(C) outputs.')
        if not self.learn_sigma:
            return model_output, None
        return model_output[:, :channels], model_output[:, channels:]

    def p_mean_variance(self, model_output: torch.Tensor, x_t: torch.Tensor,
                        t: torch.Tensor) -> Dict[str, torch.Tensor]:
        """The model's ``p(x_{t-1} | x_t)``.

        Args:
            model_output: ``(N, output_channels(C), *grid)``.
            x_t: ``(N, C, *grid)``.
            t: ``(N,)`` schedule indices.

        Returns:
            ``mean``, ``pred_xstart`` shaped as ``x_t``; ``variance``, ``log_variance``
            ``(N, C, *grid)`` with ``learn_sigma``, else ``(N, 1, ...)``.
        """
        eps, v = self.split_output(model_output, x_t.shape[1])
        if v is None:
            log_variance = self._extract(self.posterior_log_variance_clipped, t, x_t.ndim)
            variance = self._extract(self.posterior_variance, t, x_t.ndim)
        else:
            min_log = self._extract(self.posterior_log_variance_clipped, t, x_t.ndim)
            max_log = self._extract(np.log(self.betas), t, x_t.ndim)
            frac = (v + 1) / 2
            log_variance = frac * max_log + (1 - frac) * min_log
            variance = torch.exp(log_variance)
        pred_xstart = self.predict_xstart(x_t, t, eps)
        mean, _, _ = self.q_posterior_mean_variance(pred_xstart, x_t, t)
        return dict(mean=mean, variance=variance, log_variance=log_variance,
                    pred_xstart=pred_xstart)

    def training_losses(self, model_fn: Callable, x0: torch.Tensor,
                        t: Optional[torch.Tensor] = None, noise: Optional[torch.Tensor] = None,
                        generator: Optional[torch.Generator] = None) -> Dict[str, torch.Tensor]:
        """DiT's loss: ``mse`` on epsilon plus, with ``learn_sigma``, the VB term ``vb``.

        ``vb`` is the KL of the true posterior to the model's ``p(x_{t-1} | x_t)`` in bits
        per dimension, with the model's mean detached so that only the variance learns from
        it. At ``t = 0`` it is the negative log-likelihood of ``x0`` under the model's
        Gaussian ``p(x0 | x1)`` in bits per dimension: a continuous density (latents are
        not 8-bit pixels, so DiT's discretised decoder does not apply); it can be negative.

        Args:
            model_fn: ``(x_t (N, C, *grid), model_time (N,)) -> (N, output_channels(C), *grid)``.
            x0: ``(N, C, *grid)`` clean latents.
            t: ``(N,)`` schedule indices; sampled uniformly when None.
            noise: like ``x0``; drawn with ``generator`` when None.

        Returns:
            ``loss``, ``mse``, ``vb``, each ``(N,)`` (``vb`` zeros without ``learn_sigma``).
        """
        if t is None:
            t = self.sample_timesteps(x0.shape[0], x0.device, generator)
        if noise is None:
            noise = torch.randn(x0.shape, generator=generator, device=x0.device,
                                dtype=x0.dtype)
        x_t = self.q_sample(x0, t, noise)
        output = model_fn(x_t, self.model_time(t)).float()
        eps, v = self.split_output(output, x0.shape[1])
        mse = _mean_flat((noise.float() - eps) ** 2)
        if v is None:
            return dict(loss=mse, mse=mse, vb=torch.zeros_like(mse))
        vb = self._variational_bound(torch.cat([eps.detach(), v], dim=1), x0.float(), x_t, t)
        return dict(loss=mse + vb, mse=mse, vb=vb)

    def _variational_bound(self, model_output, x0, x_t, t) -> torch.Tensor:
        """The VB term of :meth:`training_losses` in bits per dimension, ``(N,)``."""
        true_mean, _, true_log_var = self.q_posterior_mean_variance(x0, x_t, t)
        out = self.p_mean_variance(model_output, x_t, t)
        mean, log_var = out['mean'], out['log_variance']
        kl = 0.5 * (-1.0 + log_var - true_log_var + torch.exp(true_log_var - log_var)
                    + (true_mean - mean) ** 2 * torch.exp(-log_var))
        nll = 0.5 * (np.log(2 * np.pi) + log_var + (x0 - mean) ** 2 * torch.exp(-log_var))
        return torch.where(t == 0, _mean_flat(nll), _mean_flat(kl)) / np.log(2.0)
