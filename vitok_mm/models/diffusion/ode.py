"""Euler and Heun integration of the flow-matching ODE, and Euler-Maruyama steps of its
reverse-time SDE, from noise (t = 1) to data (t = 0)."""
import math

import torch

from vitok_mm.registry import DIFFUSION_SCHEDULERS

from .flow import FlowMatching
from .solver import Generators, Solver, standard_normal


class _FlowODESolver(Solver):
    process_type = FlowMatching

    def velocity(self, process: FlowMatching, model_fn, x: torch.Tensor,
                 t: torch.Tensor) -> torch.Tensor:
        t = t.float().expand(x.shape[0])
        return process.velocity(model_fn(x, process.model_time(t)), x, t)


@DIFFUSION_SCHEDULERS.register_module()
class Euler(_FlowODESolver):
    """``num_steps`` Euler steps ``x += (t' - t) v(x, t)`` on the process's shifted grid.

    ``noise (N, C, *grid)`` -> ``x0`` float32 of the same shape; deterministic.
    """

    def __init__(self, num_steps: int = 50):
        super().__init__(num_steps)

    def sample(self, process: FlowMatching, model_fn, noise: torch.Tensor,
               generator: Generators = None,
               progress: bool = False) -> torch.Tensor:
        self.check_process(process)
        grid = process.time_grid(self.num_steps, device=noise.device)
        x = noise.float()
        for i in self.steps(range(self.num_steps), progress):
            dt = float(grid[i + 1] - grid[i])
            x = x + dt * self.velocity(process, model_fn, x, grid[i])
        return x


@DIFFUSION_SCHEDULERS.register_module()
class Heun(_FlowODESolver):
    """Heun's second-order method on the process's shifted grid: an Euler step, then the
    average of the velocities at both ends; the last step (to ``t = 0``) stays Euler, as
    EDM and SiT. ``2 num_steps - 1`` model calls.

    ``noise (N, C, *grid)`` -> ``x0`` float32 of the same shape; deterministic.
    """

    def __init__(self, num_steps: int = 50):
        super().__init__(num_steps)

    @property
    def num_function_evaluations(self) -> int:
        return 2 * self.num_steps - 1

    def sample(self, process: FlowMatching, model_fn, noise: torch.Tensor,
               generator: Generators = None,
               progress: bool = False) -> torch.Tensor:
        self.check_process(process)
        grid = process.time_grid(self.num_steps, device=noise.device)
        x = noise.float()
        for i in self.steps(range(self.num_steps), progress):
            dt = float(grid[i + 1] - grid[i])
            v = self.velocity(process, model_fn, x, grid[i])
            x_euler = x + dt * v
            if i == self.num_steps - 1:
                x = x_euler
            else:
                v_next = self.velocity(process, model_fn, x_euler, grid[i + 1])
                x = x + dt * 0.5 * (v + v_next)
        return x


@DIFFUSION_SCHEDULERS.register_module()
class EulerMaruyama(_FlowODESolver):
    """Euler-Maruyama steps of the flow's reverse-time SDE (SiT's stochastic sampler):
    the ODE's drift plus a Langevin term that pulls each sample back towards the model's
    marginals, which corrects errors the ODE would carry to the end.

    With ``eps = x + (1 - t) v`` (the noise the velocity implies) and diffusion
    ``w(t) = diffusion_norm * t`` (SiT's ``sigma`` form), a step of size ``h`` from ``t``
    is ``x - h v - w h eps / t + sqrt(2 w h) z``. The last step (to ``t = 0``) adds no noise
    (SiT's mean last step). ``diffusion_norm = 0`` is :class:`Euler` exactly; SiT's
    default is 1. Larger norms correct more, and need more steps: ``diffusion_norm``
    times the largest step must stay below 1 (a step must not overshoot the noise it
    removes).

    ``noise (N, C, *grid)`` -> ``x0`` float32 of the same shape; the added noise comes from
    ``generator`` (one per sample: sample ``i`` depends on its own generator only).
    """

    def __init__(self, num_steps: int = 100, diffusion_norm: float = 1.0):
        super().__init__(num_steps)
        if isinstance(diffusion_norm, bool) or not (
                isinstance(diffusion_norm, (int, float)) and math.isfinite(diffusion_norm)
                and diffusion_norm >= 0):
            raise ValueError(f'diffusion_norm must be a finite number >= 0 (0: the Euler '
                             f'ODE, 1: SiT\'s default), got {diffusion_norm!r}.')
        self.diffusion_norm = float(diffusion_norm)

    def sample(self, process: FlowMatching, model_fn, noise: torch.Tensor,
               generator: Generators = None,
               progress: bool = False) -> torch.Tensor:
        self.check_process(process)
        grid = process.time_grid(self.num_steps, device=noise.device)
        largest = self.largest_step(grid)
        if self.diffusion_norm * largest >= 1:
            # Steps shrink about as 1 / num_steps: start at that estimate, then check.
            fewest = max(self.num_steps + 1,
                         math.ceil(self.diffusion_norm * largest * self.num_steps))
            while (fewest < 100_000
                   and self.diffusion_norm * self.largest_step(process.time_grid(fewest)) >= 1):
                fewest += 1
            raise ValueError(
                f'EulerMaruyama with diffusion_norm {self.diffusion_norm:g} needs steps '
                f'smaller than 1 / {self.diffusion_norm:g}, but its largest of '
                f'{self.num_steps} steps is {largest:.3g}: use at least {fewest} steps '
                f'or a smaller diffusion_norm.')
        x = noise.float()
        for i in self.steps(range(self.num_steps), progress):
            t, h = float(grid[i]), float(grid[i] - grid[i + 1])
            v = self.velocity(process, model_fn, x, grid[i])
            if i == self.num_steps - 1 or self.diffusion_norm == 0:
                x = x - h * v
                continue
            eps = x + (1 - t) * v
            x = (x - h * v - self.diffusion_norm * h * eps
                 + math.sqrt(2 * self.diffusion_norm * t * h) * standard_normal(x, generator))
        return x

    @staticmethod
    def largest_step(grid: torch.Tensor) -> float:
        """The largest step of a time grid (a process's ``time_grid``, 1 down to 0)."""
        return float((grid[:-1] - grid[1:]).max())
