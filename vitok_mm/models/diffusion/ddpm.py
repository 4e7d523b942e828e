"""Ancestral sampling of a Gaussian diffusion (DDPM)."""

import torch

from vitok_mm.registry import DIFFUSION_SCHEDULERS

from .gaussian import GaussianDiffusion
from .solver import Generators, Solver, standard_normal


@DIFFUSION_SCHEDULERS.register_module()
class DDPM(Solver):
    """Ancestral steps ``x_{t-1} ~ p(x_{t-1} | x_t)`` on the process respaced to
    ``num_steps`` (the model still sees original timestep indices), with the model's
    learned or the fixed posterior variance; the last step returns the mean.

    ``noise (N, C, *grid)`` -> ``x0`` float32 of the same shape. The noise added at each
    step is drawn with ``generator``: the same seed gives the same samples.
    """

    process_type = GaussianDiffusion

    def __init__(self, num_steps: int = 250):
        super().__init__(num_steps)

    def sample(self, process: GaussianDiffusion, model_fn, noise: torch.Tensor,
               generator: Generators = None,
               progress: bool = False) -> torch.Tensor:
        self.check_process(process)
        process = process.respace(self.num_steps)
        x = noise.float()
        for i in self.steps(reversed(range(self.num_steps)), progress):
            t = torch.full((x.shape[0],), i, device=x.device, dtype=torch.long)
            out = process.p_mean_variance(model_fn(x, process.model_time(t)).float(), x, t)
            if i == 0:
                return out['mean']
            z = standard_normal(x, generator)
            x = out['mean'] + torch.exp(0.5 * out['log_variance']) * z
