import math

import pytest
import torch

from vitok_mm.models.diffusion import FlowMatching


def test_target_is_noise_minus_data_at_the_interpolated_point():
    process = FlowMatching(time_scale=1000.0)
    x0, noise = torch.randn(3, 2, 4, 4), torch.randn(3, 2, 4, 4)
    t = torch.tensor([0.0, 0.3, 1.0])
    seen = {}

    def model_fn(x, time):
        seen.update(x=x, time=time)
        return torch.zeros_like(x)

    losses = process.training_losses(model_fn, x0, t=t, noise=noise)
    torch.testing.assert_close(seen['x'], (1 - t.view(3, 1, 1, 1)) * x0
                               + t.view(3, 1, 1, 1) * noise)
    torch.testing.assert_close(seen['time'], t * 1000)
    torch.testing.assert_close(losses['mse'], ((noise - x0) ** 2).flatten(1).mean(1))
    torch.testing.assert_close(losses['loss'], losses['mse'])
    exact = process.training_losses(lambda x, time: noise - x0, x0, t=t, noise=noise)
    assert exact['loss'].abs().max() == 0
    assert process.noise_level(seen['time']).tolist() == pytest.approx(t.tolist())
    assert process.output_channels(4) == 4


def test_a_data_predicting_model_is_scored_on_its_velocity():
    process = FlowMatching(prediction='data', min_time=0.1)
    x0, noise = torch.randn(4, 2, 3, 3), torch.randn(4, 2, 3, 3)
    t = torch.tensor([0.0, 0.05, 0.5, 1.0])
    exact = process.training_losses(lambda x, time: x0, x0, t=t, noise=noise)
    # Above min_time the true x0 is the true velocity; below it the velocity is divided by
    # min_time instead of t: (x_t - x0) / 0.1 = t / 0.1 (noise - x0).
    target = ((noise - x0) ** 2).flatten(1).mean(1)
    torch.testing.assert_close(exact['mse'][2:], torch.zeros(2))
    torch.testing.assert_close(exact['mse'][:2], (1 - t[:2] / 0.1) ** 2 * target[:2])
    zero = process.training_losses(lambda x, time: torch.zeros_like(x), x0[2:], t=t[2:],
                                   noise=noise[2:])
    x_t = process.interpolate(x0[2:], t[2:], noise[2:])
    expected = ((noise[2:] - x0[2:] - x_t / t[2:].view(-1, 1, 1, 1)) ** 2).flatten(1).mean(1)
    torch.testing.assert_close(zero['mse'], expected)
    # The velocity a solver integrates, for a given output.
    out = torch.randn(4, 2, 3, 3)
    torch.testing.assert_close(FlowMatching().velocity(out, x0, t), out)
    torch.testing.assert_close(process.velocity(out, x0, t),
                               (x0 - out) / t.clamp(min=0.1).view(-1, 1, 1, 1))


def test_logit_normal_times():
    process = FlowMatching('logit_normal', logit_mean=0.5, logit_std=0.8)
    t = process.sample_timesteps(100_000, generator=torch.Generator().manual_seed(0))
    assert t.min() > 0 and t.max() < 1
    logit = torch.log(t / (1 - t))
    assert logit.mean().item() == pytest.approx(0.5, abs=0.01)
    assert logit.std().item() == pytest.approx(0.8, abs=0.01)


def test_shift_maps_times_and_grids():
    process = FlowMatching(shift=3.0)
    t = torch.tensor([0.0, 0.25, 0.5, 1.0])
    torch.testing.assert_close(process.shift_time(t), torch.tensor([0.0, 0.5, 0.75, 1.0]))
    # Shifted uniform times: their median is the shifted median.
    times = process.sample_timesteps(100_000, generator=torch.Generator().manual_seed(0))
    assert times.median().item() == pytest.approx(0.75, abs=0.01)
    grid = process.time_grid(4)
    torch.testing.assert_close(grid, process.shift_time(torch.linspace(1, 0, 5).double()))
    assert grid[0] == 1 and grid[-1] == 0 and (grid.diff() < 0).all()
    torch.testing.assert_close(FlowMatching().time_grid(4), torch.linspace(1, 0, 5).double())


@pytest.mark.parametrize('kwargs, match', [
    (dict(time_sampling='lognormal'), "time_sampling must be one of .*'lognormal'"),
    (dict(shift=0.0), 'shift must be a finite number > 0'),
    (dict(logit_std=math.nan), 'logit_std must be'),
    (dict(prediction='eps'), "prediction must be one of \\('velocity', 'data'\\), got 'eps'"),
    (dict(prediction='data', min_time=0.0), r'min_time must be in \(0, 1\), got 0.0'),
])
def test_bad_arguments_raise(kwargs, match):
    with pytest.raises(ValueError, match=match):
        FlowMatching(**kwargs)
