import pytest
import torch
from torch.distributions import Normal, kl_divergence

from vitok_mm.models import DeterministicBottleneck, GaussianBottleneck
from vitok_mm.models.bottlenecks import DiagonalGaussian


def test_gaussian_shapes_and_mode():
    bottleneck = GaussianBottleneck(in_channels=32, latent_channels=6)
    posterior = bottleneck(torch.randn(2, 12, 32), grid=(3, 4))
    assert posterior.mean.shape == (2, 6, 3, 4) and posterior.logvar.shape == (2, 6, 3, 4)
    assert torch.equal(posterior.mode(), posterior.mean)


def test_gaussian_tokens_land_in_grid_order():
    """Token i of a row-major (h, w) grid becomes latent[:, :, i // w, i % w]."""
    bottleneck = GaussianBottleneck(in_channels=4, latent_channels=2)
    tokens = torch.randn(1, 6, 4)
    posterior = bottleneck(tokens, grid=(2, 3))
    mean_of_token_4 = bottleneck.proj(tokens[0, 4])[:2]
    torch.testing.assert_close(posterior.mean[0, :, 1, 1], mean_of_token_4)


def test_logvar_is_clamped():
    bottleneck = GaussianBottleneck(in_channels=4, latent_channels=2, logvar_range=(-5.0, 3.0))
    with torch.no_grad():
        bottleneck.proj.weight.fill_(100.0)
    high = bottleneck(torch.ones(1, 4, 4), (2, 2)).logvar
    low = bottleneck(-torch.ones(1, 4, 4), (2, 2)).logvar
    assert high.max() == 3.0 and low.min() == -5.0


def test_kl_matches_torch_distributions():
    mean, logvar = torch.randn(3, 4, 5, 5), torch.randn(3, 4, 5, 5)
    posterior = DiagonalGaussian(mean, logvar)
    expected = kl_divergence(Normal(mean, (0.5 * logvar).exp()), Normal(0.0, 1.0))
    torch.testing.assert_close(posterior.kl(), expected.flatten(1).mean(1))
    standard = DiagonalGaussian(torch.zeros(2, 3, 4), torch.zeros(2, 3, 4))
    torch.testing.assert_close(standard.kl(), torch.zeros(2))


def test_sampling_statistics_and_gradient():
    mean = torch.full((1, 1, 200, 200), 2.0, requires_grad=True)
    logvar = torch.full((1, 1, 200, 200), 2 * torch.log(torch.tensor(0.5)).item())
    posterior = DiagonalGaussian(mean, logvar)
    sample = posterior.sample(torch.Generator().manual_seed(1))
    assert abs(sample.mean().item() - 2.0) < 0.01
    assert abs(sample.std().item() - 0.5) < 0.01
    sample.sum().backward()  # reparameterised: gradients reach the mean
    assert torch.allclose(mean.grad, torch.ones_like(mean))


def test_deterministic_bottleneck():
    bottleneck = DeterministicBottleneck(in_channels=8, latent_channels=5, norm=True)
    latent = bottleneck(torch.randn(2, 6, 8) * 7 + 3, grid=(2, 3))
    assert latent.mean.shape == (2, 5, 2, 3)
    assert torch.equal(latent.sample(), latent.mode())
    assert torch.equal(latent.kl(), torch.zeros(2))
    # LayerNorm over the channels of each token.
    torch.testing.assert_close(latent.mean.mean(1), torch.zeros(2, 2, 3), atol=1e-5, rtol=0)


@pytest.mark.parametrize('cls', [GaussianBottleneck, DeterministicBottleneck])
def test_bad_latent_channels(cls):
    with pytest.raises(ValueError, match='latent_channels must be >= 1, got 0'):
        cls(in_channels=8, latent_channels=0)
