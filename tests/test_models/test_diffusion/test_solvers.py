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
    EulerMaruyama,
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


def sde_steps(num_steps, shift, norm):
    """Euler-Maruyama on the reverse SDE with diffusion w(t) = norm t: x' = x - h v - norm h
    E[eps | x] + sqrt(2 norm t h) z, where E[eps | x] = x + (1 - t) v; the last step is the
    mean."""
    u = np.linspace(1, 0, num_steps + 1)
    grid = shift * u / (1 + (shift - 1) * u)
    for i in range(num_steps):
        t, h = grid[i], grid[i] - grid[i + 1]
        k, m = velocity_coefficients(t)
        if i == num_steps - 1:
            yield 1 - h * k, -h * m, 0.0
        else:
            yield (1 - h * k - norm * h * (1 + (1 - t) * k), -h * m - norm * h * (1 - t) * m,
                   2 * norm * t * h)


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
    'euler_maruyama10_norm4': (EulerMaruyama(10, diffusion_norm=4.0), FlowMatching(),
                               exact_velocity_model, lambda: sde_steps(10, 1.0, 4.0)),
    'euler_maruyama15_norm1_shift3_data': (
        EulerMaruyama(15, diffusion_norm=1.0),
        FlowMatching(shift=3.0, prediction='data', min_time=1e-6), exact_data_model,
        lambda: sde_steps(15, 3.0, 1.0)),
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
    """Guards the comparison above: DDIM-50, Euler-50 and the coarse Euler-Maruyama runs
    visibly miss the data's std."""
    assert propagate(gaussian_steps(50, eta=0.0))[1] < 0.98 * S
    assert abs(propagate(flow_steps(50, 3.0, heun=False))[1] - S) > 0.01 * S
    assert abs(propagate(sde_steps(10, 1.0, 4.0))[1] - S) > 0.03 * S
    assert abs(propagate(sde_steps(15, 3.0, 1.0))[1] - S) > 0.03 * S


@pytest.mark.parametrize('norm', [0.5, 1.0, 4.0])
def test_the_sde_steps_converge_to_the_data(norm):
    """With small steps the SDE's recursion reaches the data's moments, whatever the
    diffusion: its drift is the one whose marginals are the flow's (an error in the
    Langevin term's drift or noise would converge elsewhere)."""
    mean, std = propagate(sde_steps(4000, 1.0, norm))
    assert mean == pytest.approx(MU, rel=2e-3)
    assert std == pytest.approx(S, rel=2e-3)


def test_the_sde_corrects_a_wrong_start_that_the_ode_keeps():
    """Start from noise 1.5 times too wide: the ODE carries the error to the data end,
    the SDE forgets it (the property the DiT quick start samples with)."""
    generator = torch.Generator().manual_seed(2)
    noise = 1.5 * torch.randn(SHAPE, generator=generator)
    ode = Euler(200).sample(FlowMatching(), exact_velocity_model, noise)
    sde = EulerMaruyama(200, diffusion_norm=4.0).sample(FlowMatching(), exact_velocity_model,
                                                         noise, generator=generator)
    assert ode.std().item() > 1.3 * S
    assert sde.std().item() == pytest.approx(S, rel=0.02)
    assert sde.mean().item() == pytest.approx(MU, rel=0.02)


def test_the_sde_without_diffusion_is_euler():
    noise = torch.randn(4, 2, 3, generator=torch.Generator().manual_seed(0))
    model_fn = recording_model()[0]
    expected = Euler(7).sample(FlowMatching(shift=2.0), model_fn, noise)
    got = EulerMaruyama(7, diffusion_norm=0).sample(FlowMatching(shift=2.0), model_fn, noise)
    torch.testing.assert_close(got, expected, rtol=0, atol=0)


def test_the_sde_noise_of_a_sample_follows_its_own_generator():
    noise = torch.randn(5, 2, 3, generator=torch.Generator().manual_seed(0))
    solver, model_fn = EulerMaruyama(6, diffusion_norm=2.0), recording_model()[0]

    def run(rows):
        generators = [torch.Generator().manual_seed(10 + i) for i in rows]
        return solver.sample(FlowMatching(), model_fn, noise[rows], generator=generators)

    torch.testing.assert_close(run([0, 1, 2, 3, 4])[3:], run([3, 4]), rtol=0, atol=0)
    assert (run([0, 1]) - run([1, 0]).flip(0)).abs().max() == 0
    assert (run([0, 1]) - EulerMaruyama(6, diffusion_norm=0).sample(
        FlowMatching(), model_fn, noise[:2])).abs().min() > 0


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
    (Euler(10), FlowMatching()), (Heun(10), FlowMatching()), (Heun(1), FlowMatching()),
    (EulerMaruyama(10), FlowMatching())],
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
    (dict(type='DDIM', num_steps=8, eta=1.0), 16, DDIM(16, eta=1.0)),
    ('sde', None, EulerMaruyama(100, diffusion_norm=1.0)),
    (dict(type='EulerMaruyama', num_steps=8, diffusion_norm=4.0), 16,
     EulerMaruyama(16, diffusion_norm=4.0)),
    (EulerMaruyama(8, diffusion_norm=4.0), 32, EulerMaruyama(32, diffusion_norm=4.0))])
def test_build_solver(cfg, num_steps, expected):
    assert repr(build_solver(cfg, num_steps)) == repr(expected)


def test_a_solver_config_builds_it_back_with_its_options():
    assert repr(DDIM(16, eta=1.0)) == 'DDIM(num_steps=16, eta=1.0)'
    for solver in (DDPM(3), DDIM(4, eta=0.5), Euler(5), Heun(6),
                   EulerMaruyama(7, diffusion_norm=3.0)):
        config = solver.config()
        assert config['type'] == type(solver).__name__
        assert repr(build_solver(config)) == repr(solver)
    assert EulerMaruyama(7, diffusion_norm=3.0).config() == dict(
        type='EulerMaruyama', num_steps=7, diffusion_norm=3.0)


def test_solvers_and_processes_are_registered():
    assert {'GaussianDiffusion', 'FlowMatching', 'DDPM', 'DDIM', 'Euler', 'Heun',
            'EulerMaruyama'} <= set(
        DIFFUSION_SCHEDULERS.module_dict)
    # Under the project's default scope a config builds them by their bare names.
    with DefaultScope.overwrite_default_scope('vitok_mm'):
        assert isinstance(DIFFUSION_SCHEDULERS.build(dict(type='Heun', num_steps=5)), Heun)
        assert isinstance(DIFFUSION_SCHEDULERS.build(dict(type='FlowMatching')), FlowMatching)


def test_an_option_the_solver_does_not_take_is_named_with_the_fix():
    # What a config that inherits dit_tiny_64p.py's EulerMaruyama and sets type='Euler' gets.
    with pytest.raises(ValueError, match=r"Euler takes no option 'diffusion_norm' \(its "
                                         r"options: \['num_steps'\]\)\. If a _base_ config "
                                         r"sets another solver, replace it whole: "
                                         r"solver=dict\(_delete_=True, type='Euler', \.\.\.\)"):
        build_solver(dict(type='Euler', num_steps=3, diffusion_norm=8.0))


def test_unknown_solver_name_lists_the_choices():
    with pytest.raises(ValueError, match=r"unknown solver 'dpm'.*\['ddim', 'ddpm', 'euler', "
                                         r"'eulermaruyama', 'heun', 'sde'\]"):
        build_solver('dpm')


@pytest.mark.parametrize('solver, process, match', [
    (DDIM(2), FlowMatching(), r"DDIM integrates a GaussianDiffusion, got a FlowMatching; "
                              r"use one of \['Euler', 'EulerMaruyama', 'Heun'\]"),
    (EulerMaruyama(2), GaussianDiffusion(), r"EulerMaruyama integrates a FlowMatching"),
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
    (lambda: EulerMaruyama(10, diffusion_norm=-1.0), 'diffusion_norm must be a finite number'),
    (lambda: EulerMaruyama(10, diffusion_norm=float('nan')), 'diffusion_norm must be a finite'),
    (lambda: EulerMaruyama(10, diffusion_norm=20.0).sample(
        FlowMatching(), None, torch.randn(1, 1)),
     r'EulerMaruyama with diffusion_norm 20 needs steps smaller than 1 / 20, but its largest '
     r'of 10 steps is 0\.1: use at least 21 steps or a smaller diffusion_norm\.'),
    # On a shifted grid the steps are uneven: the count is checked, not only estimated.
    (lambda: EulerMaruyama(10, diffusion_norm=20.0).sample(
        FlowMatching(shift=3.0), None, torch.randn(1, 1)), r'use at least 58 steps '),
    (lambda: EulerMaruyama(10, diffusion_norm=1e12).sample(
        FlowMatching(), None, torch.randn(1, 1)),
     r'1e\+12 needs steps smaller than 1 / 1e\+12.*use at least 1000000000001 steps'),
    (lambda: DDPM(1001).sample(GaussianDiffusion(), None, torch.randn(1, 1)),
     r'steps must be an int in \[1, 1000\].*got 1001'),
])
def test_bad_solver_arguments_raise(make, match):
    with pytest.raises(ValueError, match=match):
        make()
