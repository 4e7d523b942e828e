"""Denoising diffusion implicit models (DDIM) on a Gaussian diffusion."""
import math

import torch

from vitok_mm.registry import DIFFUSION_SCHEDULERS

from .gaussian import GaussianDiffusion
from .solver import Generators, Solver, standard_normal


@DIFFUSION_SCHEDULERS.register_module()
class DDIM(Solver):
    """DDIM steps on the process respaced to ``num_steps`` (the model still sees original
    timestep indices): ``x_{t-1} = sqrt(ab') x0_hat + sqrt(1 - ab' - sigma^2) eps_hat
    + sigma z`` with ``sigma = eta sqrt((1 - ab') / (1 - ab)) sqrt(1 - ab / ab')``.
    ``eta = 0`` is deterministic, ``eta = 1`` has DDPM's posterior variance. A learned
    variance, if the model predicts one, is ignored.

    ``noise (N, C, *grid)`` -> ``x0`` float32 of the same shape; ``z`` drawn with
    ``generator``.
    """

    process_type = GaussianDiffusion

    def __init__(self, num_steps: int = 50, eta: float = 0.0):
        super().__init__(num_steps)
        if not (math.isfinite(eta) and eta >= 0):
            raise ValueError(f'eta must be a finite number >= 0 (0: deterministic DDIM, '
                             f'1: DDPM variance), got {eta!r}.')
        self.eta = eta

    def sample(self, process: GaussianDiffusion, model_fn, noise: torch.Tensor,
               generator: Generators = None,
               progress: bool = False) -> torch.Tensor:
        self.check_process(process)
        process = process.respace(self.num_steps)
        x = noise.float()
        for i in self.steps(reversed(range(self.num_steps)), progress):
            t = torch.full((x.shape[0],), i, device=x.device, dtype=torch.long)
            eps, _ = process.split_output(model_fn(x, process.model_time(t)).float(), x.shape[1])
            x0 = process.predict_xstart(x, t, eps)
            ab = process.alphas_cumprod[i]
            ab_prev = process.alphas_cumprod_prev[i]
            sigma = self.eta * math.sqrt((1 - ab_prev) / (1 - ab) * (1 - ab / ab_prev))
            x = math.sqrt(ab_prev) * x0 + math.sqrt(1 - ab_prev - sigma ** 2) * eps
            if sigma > 0:
                x = x + sigma * standard_normal(x, generator)
        return x

    def __repr__(self) -> str:
        return f'DDIM(num_steps={self.num_steps}, eta={self.eta})'
