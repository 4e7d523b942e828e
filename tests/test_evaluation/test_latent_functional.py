"""PCA basis, latent Frechet distance, linear probe and nearest-view PSNR against
references computed another way (sklearn, numpy eigh, scipy sqrtm, a brute-force loop)."""
import numpy as np
import pytest
import scipy.linalg
import torch
from sklearn.decomposition import PCA
from sklearn.linear_model import Ridge

from vitok_mm.evaluation.functional import (
    fit_linear_probe,
    latent_frechet_distance,
    nearest_view_psnr,
    pca_basis,
    probe_accuracy,
    psnr,
)


def _correlated(n, d, seed=0):
    rng = np.random.RandomState(seed)
    return rng.randn(n, d) @ rng.randn(d, d) + rng.randn(d)


def test_pca_basis_spans_sklearns_components():
    x = _correlated(60, 12)
    mean, components = pca_basis(torch.from_numpy(x).float(), 5)
    assert mean.shape == (12, ) and components.shape == (12, 5)
    reference = PCA(n_components=5, svd_solver='full').fit(x)
    np.testing.assert_allclose(mean.numpy(), reference.mean_, rtol=1e-5, atol=1e-5)
    # Directions are defined up to sign: compare |cosines| and the explained variances.
    np.testing.assert_allclose(np.abs(np.sum(components.numpy() * reference.components_.T, 0)),
                               np.ones(5), atol=1e-4)
    variances = ((torch.from_numpy(x) - mean) @ components).var(0).numpy()
    np.testing.assert_allclose(variances, reference.explained_variance_, rtol=1e-4)
    np.testing.assert_allclose(components.T @ components, np.eye(5), atol=1e-10)
    assert (components.gather(0, components.abs().argmax(0, keepdim=True)) > 0).all()


@pytest.mark.parametrize('k', [0, 13, 61])
def test_pca_basis_rejects_too_many_directions(k):
    with pytest.raises(ValueError, match=f'k={k} .* must be in \\[1, 12\\]'):
        pca_basis(torch.randn(60, 12), k)


def _numpy_frechet(a, b):
    mu1, mu2 = a.mean(0), b.mean(0)
    s1, s2 = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    root = scipy.linalg.sqrtm(s1 @ s2).real
    return float(np.sum((mu1 - mu2) ** 2) + np.trace(s1 + s2 - 2 * root))


def test_latent_frechet_distance_equals_numpy_with_and_without_a_basis():
    real = torch.from_numpy(_correlated(200, 8, seed=1)).reshape(200, 2, 2, 2)
    fake = torch.from_numpy(_correlated(150, 8, seed=2)).reshape(150, 2, 2, 2)
    assert latent_frechet_distance(real, fake) == pytest.approx(
        _numpy_frechet(real.flatten(1).numpy(), fake.flatten(1).numpy()), rel=1e-6)
    mean, components = pca_basis(real, 3)
    w, v = np.linalg.eigh(np.cov(real.flatten(1).numpy(), rowvar=False))
    top = v[:, np.argsort(w)[::-1][:3]]  # the same subspace, found by eigh
    project = lambda x: (x.flatten(1).numpy() - real.flatten(1).numpy().mean(0)) @ top  # noqa
    assert latent_frechet_distance(real, fake, (mean, components)) == pytest.approx(
        _numpy_frechet(project(real), project(fake)), rel=1e-6)
    assert abs(latent_frechet_distance(real, real, (mean, components))) < 1e-8
    assert latent_frechet_distance(real, real + 1, (mean, components)) == pytest.approx(
        float(np.sum((np.ones(8) @ top) ** 2)), rel=1e-6)


def _clusters(n_per_class, classes, d, spread, seed):
    generator = torch.Generator().manual_seed(seed)
    centres = 4 * torch.randn(classes, d, generator=torch.Generator().manual_seed(123))
    labels = torch.arange(classes).repeat_interleave(n_per_class)
    return centres[labels] + spread * torch.randn(len(labels), d, generator=generator), labels


@pytest.mark.parametrize('d', [16, 400])  # primal (D <= N) and dual (D > N) solves
def test_probe_separates_clusters_and_equals_sklearn_ridge(d):
    features, labels = _clusters(20, 5, d, 0.5, seed=0)
    probe = fit_linear_probe(features, labels, 5, l2=1e-2)
    test_features, test_labels = _clusters(20, 5, d, 0.5, seed=1)
    assert probe_accuracy(probe, test_features, test_labels) == 1.0
    x = features.double().numpy()
    x = (x - x.mean(0)) / x.std(0, ddof=1)
    ridge = Ridge(alpha=1e-2 * len(x)).fit(x, np.eye(5)[labels.numpy()])
    np.testing.assert_allclose(probe.weight.numpy(), ridge.coef_.T, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(probe.bias.numpy(), ridge.intercept_, rtol=1e-6, atol=1e-9)


def test_probe_on_random_labels_is_near_chance():
    features = torch.randn(400, 20, generator=torch.Generator().manual_seed(0))
    labels = torch.randint(0, 10, (400, ), generator=torch.Generator().manual_seed(1))
    probe = fit_linear_probe(features[:200], labels[:200], 10)
    assert probe_accuracy(probe, features[200:], labels[200:]) < 0.2  # chance: 0.1
    with pytest.raises(ValueError, match=r'labels must be in \[0, 10\)'):
        fit_linear_probe(features, labels + 1, 10)
    with pytest.raises(ValueError, match='fitted on 20-d features'):
        probe_accuracy(probe, features[:, :5], labels)


def test_nearest_view_psnr_equals_a_brute_force_loop():
    generator = torch.Generator().manual_seed(0)
    views = torch.rand(7, 3, 8, 8, generator=generator) * 2 - 1
    samples = torch.rand(5, 3, 8, 8, generator=generator) * 2 - 1
    samples[2] = views[4]  # a copy
    samples[3] = views[1] + 0.01
    expected = torch.stack([
        max(psnr((s[None].double() + 1) / 2, (v[None].double() + 1) / 2)[0] for v in views)
        for s in samples])
    for chunk in (1, 3, 256):
        got = nearest_view_psnr(samples, views, chunk_size=chunk)
        torch.testing.assert_close(got, expected, rtol=1e-9, atol=0)
    assert got[2] == float('inf') and got[3] == pytest.approx(20 * np.log10(200), rel=1e-6)
