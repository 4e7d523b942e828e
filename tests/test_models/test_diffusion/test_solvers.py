"""Solvers against closed forms: on Gaussian data with the exact denoiser every update is
affine in ``x``, so each solver's output mean and variance follow from propagating
``(mean, var)`` through its own recursion in float64 (here, independently of the code)."""
import math

import numpy as np
import pytest
import torch
from mmengine.registry import DefaultScope

from vitok_mm.models.diffusion import (
    DDIM,
    DDPM,
    Euler,
    FlowMatching,
    GaussianDiffusion,
    Heun,
    build_solver,
    space_timesteps,
)
from vitok_mm.registry import DIFFUSION_SCHEDULERS

MU, S = 0.5, 0.7  # the data: x0 ~ N(MU, S^2) per element
SHAPE = (25_000, 2, 2, 2)  # 2e5 elements
T = 1000
ALPHAS_CUMPROD = np.cumprod(1 - np.linspace(1e-4, 0.02, T))


def eps_coefficients(ab):
    """E[eps | x_t] = k x_t + m for x_t = sqrt(ab) x0 + sqrt(1 - ab) eps."""
    a, b = math.sqrt(ab), math.sqrt(1 - ab)
    var = a * a * S * S + b * b
    return b / var, -b * a * MU / var


def velocity_coefficients(t):
    """E[eps - x0 | x_t] = k x_t + m for x_t = (1 - t) x0 + t eps."""
    var = (1 - t) ** 2 * S * S + t * t
    k = (t - (1 - t) * S * S) / var
    return k, -(1 - t) * MU * k - MU


def exact_eps_model(extra_channels=0):
    def model_fn(x, t):
        ab = torch.from_numpy(ALPHAS_CUMPROD)[t.long()].view(-1, *([1] * (x.ndim - 1)))
        a, b = ab.sqrt(), (1 - ab).sqrt()
        eps = (b * (x.double() - a * MU) / (a * a * S * S + b * b)).float()
        return torch.cat([eps] + [torch.zeros_like(eps)] * extra_channels, 1)
    return model_fn


def exact_velocity_model(x, time):
    t = (time.double() / 1000).view(-1, *([1] * (x.ndim - 1)))
    k, m = velocity_coefficients(t)
    return (k * x.double() + m).float()


def exact_data_model(x, time):
    """E[x0 | x_t]: what a data-predicting flow model (``prediction='data'``) outputs."""
    t = (time.double() / 1000).view(-1, *([1] * (x.ndim - 1)))
    var = (1 - t) ** 2 * S * S + t * t
    return (MU + (1 - t) * S * S * (x.double() - (1 - t) * MU) / var).float()


def propagate(steps):
    """(A, B, noise variance) per step -> the output's (mean, std) from N(0, 1)."""
    mean, var = 0.0, 1.0
    for a, b, noise_var in steps:
        mean, var = a * mean + b, a * a * var + noise_var
    return mean, math.sqrt(var)


def gaussian_steps(num_steps, eta=None):
    """DDPM's steps (eta None, posterior by Bayes' rule) or DDIM's with this eta."""
    kept = np.round(np.linspace(0, T - 1, num_steps)).astype(int)
    for i in reversed(range(num_steps)):
        ab = ALPHAS_CUMPROD[kept[i]]
        ab_prev = ALPHAS_CUMPROD[kept[i - 1]] if i > 0 else 1.0
        k, m = eps_coefficients(ab)
        # x0_hat = p x + q
        p, q = (1 - math.sqrt(1 - ab) * k) / math.sqrt(ab), -math.sqrt(1 - ab) * m / math.sqrt(ab)
        if i == 0:
            yield p, q, 0.0
        elif eta is None:
            alpha = ab / ab_prev
            var = 1 / (1 / (1 - ab_prev) + alpha / (1 - alpha))
            c1, c2 = var * math.sqrt(ab_prev) / (1 - ab_prev), var * math.sqrt(alpha) / (1 - alpha)
            yield c1 * p + c2, c1 * q, var
        else:
            sigma2 = eta ** 2 * (1 - ab_prev) / (1 - ab) * (1 - ab / ab_prev)
            c = math.sqrt(1 - ab_prev - sigma2)
            yield math.sqrt(ab_prev) * p + c * k, math.sqrt(ab_prev) * q + c * m, sigma2


def flow_steps(num_steps, shift, heun):
    u = np.linspace(1, 0, num_steps + 1)
    grid = shift * u / (1 + (shift - 1) * u)
    for i in range(num_steps):
        dt = grid[i + 1] - grid[i]
        k1, m1 = velocity_coefficients(grid[i])
        if not heun or i == num_steps - 1:
            yield 1 + dt * k1, dt * m1, 0.0
        else:
            k2, m2 = velocity_coefficients(grid[i + 1])
            yield (1 + dt / 2 * (k1 + k2 * (1 + dt * k1)), dt / 2 * (m1 + k2 * dt * m1 + m2),
                   0.0)


CASES = {
    'ddpm250': (DDPM(250), GaussianDiffusion(learn_sigma=False), exact_eps_model(),
                lambda: gaussian_steps(250)),
    'ddim50': (DDIM(50), GaussianDiffusion(learn_sigma=True), exact_eps_model(1),
               lambda: gaussian_steps(50, eta=0.0)),
    'ddim50_eta1': (DDIM(50, eta=1.0), GaussianDiffusion(learn_sigma=False), exact_eps_model(),
                    lambda: gaussian_steps(50, eta=1.0)),
    'euler50_shift3': (Euler(50), FlowMatching(shift=3.0), exact_velocity_model,
                       lambda: flow_steps(50, 3.0, heun=False)),
    'heun50': (Heun(50), FlowMatching(), exact_velocity_model,
               lambda: flow_steps(50, 1.0, heun=True)),
    # Predicting x0 gives the same ODE: (x_t - E[x0 | x_t]) / t = E[eps - x0 | x_t]. The
    # solvers never evaluate t = 0, so with a tiny min_time nothing is clamped.
    'euler50_shift3_data': (Euler(50), FlowMatching(shift=3.0, prediction='data',
                                                    min_time=1e-6),
                            exact_data_model, lambda: flow_steps(50, 3.0, heun=False)),
    'heun50_data': (Heun(50), FlowMatching(prediction='data', min_time=1e-6),
                    exact_data_model, lambda: flow_steps(50, 1.0, heun=True)),
}


def solver_moments(case):
    """(measured mean, measured std, closed-form mean, closed-form std)."""
    solver, process, model_fn, steps = CASES[case]
    generator = torch.Generator().manual_seed(1)
    noise = torch.randn(SHAPE, generator=generator)
    x0 = solver.sample(process, model_fn, noise, generator=generator).double()
    return (x0.mean().item(), x0.std().item()) + propagate(steps())


@pytest.mark.parametrize('case', sorted(CASES))
def test_output_moments_match_the_solvers_closed_form(case):
    mean, std, expected_mean, expected_std = solver_moments(case)
    assert mean == pytest.approx(expected_mean, rel=0.01)
    assert std == pytest.approx(expected_std, rel=0.01)


def test_closed_forms_are_not_the_data_moments():
    """Guards the comparison above: DDIM-50 and Euler-50 visibly miss the data's std."""
    assert propagate(gaussian_steps(50, eta=0.0))[1] < 0.98 * S
    assert abs(propagate(flow_steps(50, 3.0, heun=False))[1] - S) > 0.01 * S


def recording_model(channels_factor=1):
    times = []

    def model_fn(x, t):
        times.append(t)
        return torch.cat([x * 0.1] * channels_factor, 1)
    return model_fn, times


@pytest.mark.parametrize('solver', [DDPM(250), DDIM(7), DDPM(1000)], ids=repr)
def test_respaced_model_sees_original_indices(solver):
    model_fn, times = recording_model(2)
    solver.sample(GaussianDiffusion(), model_fn, torch.randn(3, 2, 2))
    assert all(t.dtype == torch.float32 and t.shape == (3,) and (t == t[0]).all()
               for t in times)
    expected = space_timesteps(T, solver.num_steps)[::-1]
    assert [t[0].item() for t in times] == expected
    if solver.num_steps == T:
        assert expected == list(range(T - 1, -1, -1))


@pytest.mark.parametrize('solver, process', [
    (DDPM(10), GaussianDiffusion()), (DDIM(10), GaussianDiffusion()),
    (Euler(10), FlowMatching()), (Heun(10), FlowMatching()), (Heun(1), FlowMatching())],
    ids=lambda v: repr(v) if not hasattr(v, 'output_channels') else '')
def test_function_evaluations_are_counted(solver, process):
    model_fn, times = recording_model(process.output_channels(1))
    # bf16 output, as under autocast: the state stays float32.
    x0 = solver.sample(process, lambda x, t: model_fn(x, t).bfloat16(), torch.randn(2, 1, 3))
    assert len(times) == solver.num_function_evaluations
    assert x0.dtype == torch.float32 and x0.shape == (2, 1, 3)
    if isinstance(solver, Heun):
        assert solver.num_function_evaluations == 2 * solver.num_steps - 1


def test_flow_solvers_run_from_noise_to_data_on_the_shifted_grid():
    model_fn, times = recording_model()
    Euler(4).sample(FlowMatching(shift=3.0, time_scale=1000.0), model_fn, torch.randn(2, 1))
    u = np.linspace(1, 0, 5)[:-1]
    np.testing.assert_allclose([t[0].item() for t in times], 1000 * 3 * u / (1 + 2 * u),
                               rtol=1e-6)


def test_ddpm_noise_follows_the_generator():
    process, model_fn = GaussianDiffusion(), (lambda x, t: torch.cat([0.1 * x, 0 * x], 1))
    noise = torch.randn(4, 2, 3)

    def run(seed):
        return DDPM(20).sample(process, model_fn, noise,
                               generator=torch.Generator().manual_seed(seed))

    torch.testing.assert_close(run(3), run(3), rtol=0, atol=0)
    assert (run(3) - run(4)).abs().min() > 0


def test_progress_bar(capsys):
    DDIM(3).sample(GaussianDiffusion(), recording_model(2)[0], torch.randn(1, 1), progress=True)
    assert '3/3' in capsys.readouterr().out


@pytest.mark.parametrize('cfg, num_steps, expected', [
    ('ddpm', None, DDPM(250)), ('DDIM', 20, DDIM(20)), ('Heun', None, Heun(50)),
    (dict(type='euler', num_steps=8), None, Euler(8)),
    (dict(type='DDIM', num_steps=8, eta=1.0), 16, DDIM(16, eta=1.0))])
def test_build_solver(cfg, num_steps, expected):
    assert repr(build_solver(cfg, num_steps)) == repr(expected)


def test_solvers_and_processes_are_registered():
    assert {'GaussianDiffusion', 'FlowMatching', 'DDPM', 'DDIM', 'Euler', 'Heun'} <= set(
        DIFFUSION_SCHEDULERS.module_dict)
    # Under the project's default scope a config builds them by their bare names.
    with DefaultScope.overwrite_default_scope('vitok_mm'):
        assert isinstance(DIFFUSION_SCHEDULERS.build(dict(type='Heun', num_steps=5)), Heun)
        assert isinstance(DIFFUSION_SCHEDULERS.build(dict(type='FlowMatching')), FlowMatching)


def test_unknown_solver_name_lists_the_choices():
    with pytest.raises(ValueError, match=r"unknown solver 'dpm'.*\['ddim', 'ddpm', 'euler', "
                                         r"'heun'\]"):
        build_solver('dpm')


@pytest.mark.parametrize('solver, process, match', [
    (DDIM(2), FlowMatching(), r"DDIM integrates a GaussianDiffusion, got a FlowMatching; "
                              r"use one of \['Euler', 'Heun'\]"),
    (DDPM(2), FlowMatching(), 'DDPM integrates a GaussianDiffusion, got a FlowMatching'),
    (Heun(2), GaussianDiffusion(), r"Heun integrates a FlowMatching, got a GaussianDiffusion; "
                                   r"use one of \['DDIM', 'DDPM'\]"),
])
def test_wrong_process_raises(solver, process, match):
    with pytest.raises(ValueError, match=match):
        solver.sample(process, recording_model()[0], torch.randn(1, 1))


@pytest.mark.parametrize('make, match', [
    (lambda: DDPM(0), 'num_steps of DDPM must be an int >= 1, got 0'),
    (lambda: Euler(2.5), 'num_steps of Euler must be an int >= 1, got 2.5'),
    (lambda: DDIM(10, eta=-1.0), 'eta must be a finite number >= 0'),
    (lambda: DDPM(1001).sample(GaussianDiffusion(), None, torch.randn(1, 1)),
     r'steps must be an int in \[1, 1000\].*got 1001'),
])
def test_bad_solver_arguments_raise(make, match):
    with pytest.raises(ValueError, match=match):
        make()
