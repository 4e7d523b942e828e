"""Euler and Heun integration of the flow-matching ODE from noise (t = 1) to data (t = 0)."""

import torch

from vitok_mm.registry import DIFFUSION_SCHEDULERS

from .flow import FlowMatching
from .solver import Generators, Solver


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
