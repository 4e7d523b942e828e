import math

import numpy as np
import pytest
import torch
from torch.distributions import Normal, kl_divergence

from vitok_mm.models.diffusion import GaussianDiffusion, space_timesteps

T = 1000
#: The linear schedule, computed here independently of the process.
BETAS = np.linspace(1e-4, 0.02, T)
ALPHAS_CUMPROD = np.cumprod(1 - BETAS)


def test_q_sample_moments():
    process = GaussianDiffusion(learn_sigma=False)
    x0 = torch.tensor([[-1.5, 0.0, 0.8, 2.0]])
    for step in (0, 300, 999):
        t = torch.full((200_000,), step)
        x_t = process.q_sample(x0.expand(len(t), -1), t, torch.randn(len(t), 4))
        ab = ALPHAS_CUMPROD[step]
        torch.testing.assert_close(x_t.mean(0).double(), math.sqrt(ab) * x0[0].double(),
                                   atol=4 * math.sqrt((1 - ab) / len(t)) + 1e-6, rtol=0)
        torch.testing.assert_close(x_t.var(0).double(), torch.full((4,), 1 - ab,
                                   dtype=torch.double), rtol=0.02, atol=1e-6)


def test_posterior_is_bayes_on_gaussians():
    """q(x_{t-1} | x0) = N(sqrt(ab') x0, 1 - ab') times q(x_t | x_{t-1}) = N(sqrt(a) x, b)."""
    process = GaussianDiffusion()
    x0, x_t = torch.randn(6, 3, 2, 2), torch.randn(6, 3, 2, 2)
    t = torch.tensor([1, 2, 10, 400, 998, 999])
    mean, var, log_var = process.q_posterior_mean_variance(x0, x_t, t)
    for i, step in enumerate(t.tolist()):
        ab_prev, alpha, beta = ALPHAS_CUMPROD[step - 1], 1 - BETAS[step], BETAS[step]
        precision = 1 / (1 - ab_prev) + alpha / beta
        expected = (math.sqrt(ab_prev) * x0[i].double() / (1 - ab_prev)
                    + math.sqrt(alpha) * x_t[i].double() / beta) / precision
        torch.testing.assert_close(mean[i].double(), expected, rtol=1e-5, atol=1e-5)
        assert var[i].item() == pytest.approx(1 / precision, rel=1e-5)
        assert log_var[i].item() == pytest.approx(-math.log(precision), rel=1e-5)
    # At t = 0 the posterior is x0 itself; its log-variance is clipped to t = 1's.
    mean, var, log_var = process.q_posterior_mean_variance(x0, x_t, torch.zeros(6).long())
    torch.testing.assert_close(mean, x0)
    assert var.abs().max() == 0
    assert log_var[0].item() == pytest.approx(math.log(
        BETAS[1] * (1 - ALPHAS_CUMPROD[0]) / (1 - ALPHAS_CUMPROD[1])), rel=1e-5)


def test_learned_variance_endpoints():
    """v = +1 is log(beta_t), v = -1 the clipped log posterior variance, 0 their middle."""
    process = GaussianDiffusion(learn_sigma=True)
    t = torch.tensor([0, 1, 500, 999])
    x_t, eps = torch.randn(4, 2, 3), torch.randn(4, 2, 3)
    posterior = BETAS[1:] * (1 - ALPHAS_CUMPROD[:-1]) / (1 - ALPHAS_CUMPROD[1:])
    clipped = np.log(np.append(posterior[0], posterior))[t]
    for v, expected in ((1.0, np.log(BETAS[t])), (-1.0, clipped),
                        (0.0, (np.log(BETAS[t]) + clipped) / 2)):
        out = process.p_mean_variance(torch.cat([eps, torch.full_like(eps, v)], 1), x_t, t)
        torch.testing.assert_close(out['log_variance'][:, 0, 0].double(),
                                   torch.from_numpy(expected), rtol=1e-5, atol=1e-6)
    # The mean comes from the x0 that eps implies, never clipped.
    ab = torch.from_numpy(ALPHAS_CUMPROD[t.numpy()])[:, None, None]
    x0 = (x_t.double() - (1 - ab).sqrt() * eps.double()) / ab.sqrt()
    torch.testing.assert_close(out['pred_xstart'].double(), x0, rtol=1e-4, atol=1e-4)
    assert out['pred_xstart'].abs().max() > 1


def test_fixed_variance_is_the_posterior():
    process = GaussianDiffusion(learn_sigma=False)
    t = torch.tensor([3, 700])
    out = process.p_mean_variance(torch.randn(2, 2, 3), torch.randn(2, 2, 3), t)
    expected = BETAS[t] * (1 - ALPHAS_CUMPROD[t - 1]) / (1 - ALPHAS_CUMPROD[t])
    torch.testing.assert_close(out['variance'].flatten().double(), torch.from_numpy(expected),
                               rtol=1e-5, atol=0)


def constant_model(eps, v):
    """A model_fn whose output is the given eps and v halves, whatever its input."""
    return lambda x, t: torch.cat([eps, v], 1).expand(len(x), -1, -1, -1)


def test_vb_is_the_gaussian_kl_in_bits_and_the_decoder_nll_at_zero():
    process = GaussianDiffusion(learn_sigma=True)
    x0, noise = torch.randn(4, 2, 3, 3), torch.randn(4, 2, 3, 3)
    eps, v = torch.randn(1, 2, 3, 3), torch.rand(1, 2, 3, 3) * 2 - 1
    t = torch.tensor([0, 1, 250, 999])
    losses = process.training_losses(constant_model(eps, v), x0, t=t, noise=noise)
    x_t = process.q_sample(x0, t, noise)
    model = process.p_mean_variance(torch.cat([eps, v], 1).expand(4, -1, -1, -1), x_t, t)
    p = Normal(model['mean'].double(), model['variance'].double().sqrt())
    true_mean, true_var, _ = process.q_posterior_mean_variance(x0, x_t, t)
    q = Normal(true_mean[1:].double(), true_var[1:].double().sqrt())
    p_rest = Normal(p.loc[1:], p.scale[1:])
    kl_bits = kl_divergence(q, p_rest).flatten(1).mean(1) / math.log(2)
    nll_bits = -p.log_prob(x0.double())[0].mean() / math.log(2)
    torch.testing.assert_close(losses['vb'][1:].double(), kl_bits, rtol=1e-3, atol=1e-4)
    assert losses['vb'][0].item() == pytest.approx(nll_bits.item(), rel=1e-3)
    mse = ((noise - eps) ** 2).flatten(1).mean(1)
    torch.testing.assert_close(losses['mse'], mse)
    torch.testing.assert_close(losses['loss'], mse + losses['vb'])


def test_vb_trains_only_the_variance_and_mse_only_the_prediction():
    process = GaussianDiffusion(learn_sigma=True)
    eps = torch.zeros(1, 2, 3, 3, requires_grad=True)
    v = torch.zeros(1, 2, 3, 3, requires_grad=True)
    x0, t = torch.randn(8, 2, 3, 3), torch.tensor([0, 1, 2, 10, 100, 500, 900, 999])
    process.training_losses(constant_model(eps, v), x0, t=t)['vb'].sum().backward()
    assert eps.grad is None or eps.grad.abs().max() == 0
    assert v.grad.abs().min() > 0
    eps.grad = v.grad = None
    process.training_losses(constant_model(eps, v), x0, t=t)['mse'].sum().backward()
    assert eps.grad.abs().min() > 0
    assert v.grad is None or v.grad.abs().max() == 0


def test_without_learned_sigma_the_loss_is_the_mse():
    process = GaussianDiffusion(learn_sigma=False)
    assert process.output_channels(4) == 4 and GaussianDiffusion().output_channels(4) == 8
    losses = process.training_losses(lambda x, t: x, torch.randn(5, 4, 2, 2))
    torch.testing.assert_close(losses['loss'], losses['mse'])
    assert losses['vb'].abs().max() == 0
    with pytest.raises(ValueError, match='8 for 4 latent channels with learn_sigma=True'):
        GaussianDiffusion().training_losses(lambda x, t: x, torch.randn(5, 4, 2, 2))


def test_training_timesteps_and_model_time():
    process = GaussianDiffusion()
    seen = []
    process.training_losses(lambda x, t: seen.append(t) or torch.cat([x, x], 1),
                            torch.randn(4096, 1, 1, 1),
                            generator=torch.Generator().manual_seed(0))
    assert seen[0].dtype == torch.float32
    assert seen[0].min() >= 0 and seen[0].max() <= 999 and len(seen[0].unique()) > 900
    assert process.noise_level(torch.tensor([0.0, 999.0])).tolist() == [0.0, 1.0]


@pytest.mark.parametrize('steps', [1, 2, 7, 50, 250, 999, 1000])
def test_space_timesteps(steps):
    kept = space_timesteps(T, steps)
    assert len(kept) == len(set(kept)) == steps and kept == sorted(kept)
    assert kept[-1] == T - 1 and (steps == 1 or kept[0] == 0)
    if steps > 2:
        gaps = np.diff(kept)
        assert gaps.max() - gaps.min() <= 1


def test_space_timesteps_matches_dit_250():
    kept = space_timesteps(T, 250)
    assert kept[:5] == [0, 4, 8, 12, 16] and kept[-3:] == [991, 995, 999]


@pytest.mark.parametrize('steps', [0, -3, 1001, 2.5, '50', None])
def test_bad_steps_raise(steps):
    with pytest.raises(ValueError, match=r'steps must be an int in \[1, 1000\]'):
        space_timesteps(T, steps)
    if steps is not None:
        with pytest.raises(ValueError, match='steps must be an int'):
            GaussianDiffusion().respace(steps)


def test_respacing_keeps_alphas_cumprod():
    process = GaussianDiffusion()
    np.testing.assert_allclose(process.respace(T).betas, BETAS, rtol=1e-10)
    respaced = process.respace(10)
    kept = space_timesteps(T, 10)
    np.testing.assert_allclose(respaced.alphas_cumprod, ALPHAS_CUMPROD[kept], rtol=1e-12)
    np.testing.assert_allclose(np.cumprod(1 - respaced.betas), ALPHAS_CUMPROD[kept],
                               rtol=1e-12)
    assert respaced.model_time(torch.arange(10)).tolist() == kept


@pytest.mark.parametrize('kwargs', [dict(num_timesteps=1), dict(beta_start=0.0),
                                    dict(beta_start=0.03), dict(beta_end=1.0)])
def test_bad_schedule_raises(kwargs):
    with pytest.raises(ValueError, match='num_timesteps|betas must'):
        GaussianDiffusion(**kwargs)
