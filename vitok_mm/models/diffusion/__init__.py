"""Diffusion processes and flow objectives (noise schedules, training targets) and the
solvers that sample from them, for the generators in ``models/generators/``.

A process defines the noising and the training loss (``training_losses(model_fn, x0)``),
and maps its timesteps to what the model sees (``model_time``) and to a noise level in
``[0, 1]`` (``noise_level``): :class:`GaussianDiffusion` (DDPM, epsilon prediction,
learned variance) and :class:`FlowMatching` (straight path, velocity prediction). A solver
draws ``x0`` from noise with ``solver.sample(process, model_fn, noise)``: :class:`DDPM`
and :class:`DDIM` for the Gaussian process, :class:`Euler` and :class:`Heun` (its ODE) and
:class:`EulerMaruyama` (its reverse-time SDE) for the flow.
``model_fn(x, t)`` is any callable, e.g. a DiT wrapped by :func:`classifier_free_guidance`.

Both kinds live in ``DIFFUSION_SCHEDULERS`` (as mmagic's), not ``DATA_SAMPLERS``: in this
project "sampler" means a data sampler.
"""
from .ddim import DDIM
from .ddpm import DDPM
from .flow import FlowMatching
from .gaussian import GaussianDiffusion, space_timesteps
from .guidance import check_guidance, classifier_free_guidance
from .ode import Euler, EulerMaruyama, Heun
from .solver import Solver, build_solver

__all__ = [
    'GaussianDiffusion', 'space_timesteps', 'FlowMatching', 'Solver', 'DDPM', 'DDIM', 'Euler',
    'Heun', 'EulerMaruyama', 'build_solver', 'classifier_free_guidance', 'check_guidance',
]
