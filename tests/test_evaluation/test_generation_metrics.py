"""gFID / gIS against reference statistics (ADM .npz, .pth, images), gFVD's reference,
the latent Frechet distance and probe, and score_samples, against independent numbers."""
import numpy as np
import pytest
import scipy.linalg
import torch

from vitok_mm.evaluation import (
    GenerationFIDMetric,
    GenerationFVDMetric,
    LatentFrechetMetric,
    LatentProbeMetric,
    split_available,
)
from vitok_mm.evaluation.functional import RunningStatistics, frechet_distance, inception_score
from vitok_mm.evaluation.metrics import generation
from vitok_mm.feature_networks import build_inception
from vitok_mm.utils.samples_npz import write_samples_npz
from vitok_mm.workflows import score_samples

GENERATED = 10  # the fewest the IS's 10 splits take
REFERENCE = 14  # reference photos: not as many as the samples


@pytest.fixture(scope='module')
def features(inception_file, photo_views, degraded):
    """Inception features and logits computed outside the metric, and the statistics of
    the reference photos as ADM stores them (np.cov)."""
    network = build_inception(inception_file)
    with torch.no_grad():
        real, _ = network(photo_views[:REFERENCE])
        fake, logits = network(degraded[:GENERATED])
    real = real.double().numpy()
    return dict(mu=real.mean(0), sigma=np.cov(real, rowvar=False), real=real,
                fake=fake.double().numpy(), logits=logits)


def _expected_fid(features) -> float:
    """The Frechet distance by another route than frechet_distance's 2048x2048 eigvals:
    the fake covariance is ``F F^T`` with ``F`` the centred features over sqrt(n - 1), so
    the nonzero eigenvalues of ``S_real S_fake`` are those of the small ``F^T S_real F``."""
    fake = features['fake']
    centred = (fake - fake.mean(0)) / np.sqrt(len(fake) - 1)
    small = np.linalg.eigvalsh(centred @ features['sigma'] @ centred.T)  # F = centred.T
    diff = features['mu'] - fake.mean(0)
    return float(diff @ diff + np.trace(features['sigma']) + np.sum(centred ** 2)
                 - 2 * np.sqrt(small.clip(min=0)).sum())


def _pixels(images: torch.Tensor) -> list:
    return [dict(pixels=x.float() / 127.5 - 1, sample_idx=i) for i, x in enumerate(images)]


@pytest.fixture
def adm_reference(tmp_path, features):
    """An ADM-style reference batch: its (here unrelated, tiny) images must be ignored."""
    path = tmp_path / 'VIRTUAL_tiny_labeled.npz'
    np.savez(path, arr_0=np.zeros((3, 8, 8, 3), np.uint8), mu=features['mu'].astype(np.float32),
             sigma=features['sigma'], mu_s=np.zeros(3), sigma_s=np.eye(3))
    return str(path)


def test_gfid_and_gis_against_an_adm_reference_batch(adm_reference, inception_file, degraded,
                                                      features):
    metric = GenerationFIDMetric(adm_reference, inception_weights=inception_file)
    samples = _pixels(degraded[:GENERATED])
    for i in range(0, GENERATED, 5):
        metric.process(None, samples[i:i + 5])
    result = metric.evaluate(GENERATED)
    assert set(result) == {'gen/gfid', 'gen/gis'}
    # mu was stored as float32 (as ADM's are): 1e-3 covers it and batch-size bits.
    assert result['gen/gfid'] == pytest.approx(_expected_fid(features), rel=1e-3)
    assert result['gen/gfid'] > 1.0
    assert result['gen/gis'] == pytest.approx(inception_score(features['logits'])[0],
                                              rel=1e-4)


def test_pth_and_image_references_give_the_reference_statistics(tmp_path, inception_file,
                                                                 photo_views, features,
                                                                 monkeypatch):
    stats = RunningStatistics(2048)
    stats.update(torch.from_numpy(features['real']))
    state_file = tmp_path / 'reference_stats.pth'
    torch.save(stats.state(), state_file)
    mu, sigma = GenerationFIDMetric(str(state_file)).reference_statistics()
    np.testing.assert_allclose(mu, features['mu'], rtol=1e-10)
    np.testing.assert_allclose(sigma, features['sigma'], rtol=1e-8, atol=1e-12)

    images = tmp_path / 'real_images.npz'
    write_samples_npz(str(images), photo_views[:6].permute(0, 2, 3, 1).numpy())
    metric = GenerationFIDMetric(str(images), inception_weights=inception_file, batch_size=4)
    mu, sigma = metric.reference_statistics()
    real = features['real'][:6]  # computed in another batch: float32 last bits differ
    np.testing.assert_allclose(mu, real.mean(0), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(sigma, np.cov(real, rowvar=False), rtol=1e-3, atol=1e-5)
    cache = tmp_path / 'real_images.inception_stats.pth'
    assert cache.is_file()

    def no_images(*args):
        raise AssertionError('the cached statistics should have been used')
    monkeypatch.setattr(generation, 'iter_sample_batches', no_images)
    again = GenerationFIDMetric(str(images), inception_weights=inception_file)
    np.testing.assert_array_equal(again.reference_statistics()[1], sigma)
    # The cache is also a reference of its own.
    np.testing.assert_array_equal(GenerationFIDMetric(str(cache)).reference_statistics()[0], mu)


def test_reference_errors(tmp_path, adm_reference):
    missing = str(tmp_path / 'VIRTUAL_imagenet256_labeled.npz')
    with pytest.raises(ValueError, match='VIRTUAL_imagenet256_labeled.npz.* does not exist.*'
                                         'mu.*write_samples_npz'):
        GenerationFIDMetric(missing)
    with pytest.raises(ValueError, match='does not exist.*RunningStatistics'):
        GenerationFVDMetric(str(tmp_path / 'ucf_stats.pth'))
    clips = tmp_path / 'clips.npz'
    np.savez(clips, arr_0=np.zeros((2, 8, 8, 3), np.uint8))
    with pytest.raises(ValueError, match="clips.npz has no 'mu' and 'sigma'. Give an .npz"):
        GenerationFVDMetric(str(clips))
    neither = tmp_path / 'neither.npz'
    np.savez(neither, other=np.zeros(3))
    with pytest.raises(ValueError, match='has no arr_0'):
        GenerationFIDMetric(str(neither))
    wrong_dim = tmp_path / 'wrong.npz'
    np.savez(wrong_dim, mu=np.zeros(400), sigma=np.eye(400))
    with pytest.raises(ValueError, match='needs 2048-d features'):
        GenerationFIDMetric(str(wrong_dim))
    with pytest.raises(ValueError, match="'pixels'.*LatentFrechetMetric"):
        GenerationFIDMetric(adm_reference).process(None, [dict(latents=torch.zeros(4))])


def test_gfvd_against_reference_statistics(tmp_path):
    """The I3D features are FVDMetric's (tested there); what is new is the reference."""
    generator = torch.Generator().manual_seed(0)
    real, fake = torch.randn(30, 400, generator=generator), torch.randn(9, 400, generator=generator)
    path = tmp_path / 'ucf101_stats.npz'
    np.savez(path, mu=real.numpy().mean(0), sigma=np.cov(real.numpy(), rowvar=False))
    metric = GenerationFVDMetric(str(path))
    stats = RunningStatistics(400)
    stats.update(fake + 0.5)
    result = metric.compute_metrics([dict(fake=stats.state())])
    f = (fake + 0.5).double().numpy()
    expected = frechet_distance(real.double().numpy().mean(0), np.cov(real.numpy(), rowvar=False),
                                f.mean(0), np.cov(f, rowvar=False))
    assert result == {'gfvd': pytest.approx(expected, rel=1e-6)}


def test_availability_knows_the_feature_networks(tmp_path, inception_file):
    kept, skipped = split_available([
        dict(type='GenerationFIDMetric', reference='x.npz', inception_weights=inception_file),
        dict(type='GenerationFVDMetric', reference='x.npz',
             i3d_weights=str(tmp_path / 'i3d_torchscript.pt')),
        dict(type='LatentFrechetMetric'), dict(type='LatentProbeMetric')])
    assert [c['type'] for c in kept] == ['GenerationFIDMetric', 'LatentFrechetMetric',
                                         'LatentProbeMetric']
    assert list(skipped) == ['GenerationFVDMetric']


def _latent_samples(fake, real, labels=None):
    labels = torch.zeros(len(fake), dtype=torch.long) if labels is None else labels
    return [dict(latents=f, real_latents=r, gt_label=int(y), pred_label=-1)
            for f, r, y in zip(fake, real, labels)]


def _run(metric, samples, batch=7):
    for i in range(0, len(samples), batch):
        metric.process(None, samples[i:i + batch])
    return metric.evaluate(len(samples))


def _numpy_latent_fd(real, fake, k):
    """PCA by eigh of the covariance and the Frechet distance with scipy's sqrtm."""
    real, fake = real.reshape(len(real), -1), fake.reshape(len(fake), -1)
    w, v = np.linalg.eigh(np.cov(real, rowvar=False))
    top = v[:, np.argsort(w)[::-1][:k]]
    a, b = (real - real.mean(0)) @ top, (fake - real.mean(0)) @ top
    s1, s2 = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    return float(np.sum((a.mean(0) - b.mean(0)) ** 2)
                 + np.trace(s1 + s2 - 2 * scipy.linalg.sqrtm(s1 @ s2).real))


def test_latent_frechet_distance(tmp_path):
    rng = np.random.RandomState(0)
    mixing = rng.randn(32, 32)
    real = (rng.randn(80, 32) @ mixing).reshape(80, 2, 4, 4).astype(np.float32)
    fake = (rng.randn(80, 32) @ mixing * 1.2).reshape(80, 2, 4, 4).astype(np.float32)
    real_t, fake_t = torch.from_numpy(real), torch.from_numpy(fake)

    same = _run(LatentFrechetMetric(num_components=6), _latent_samples(real_t, real_t))
    assert abs(same['gen/latent_fd']) < 1e-6
    other = _run(LatentFrechetMetric(num_components=6), _latent_samples(fake_t, real_t))
    shifted = _run(LatentFrechetMetric(num_components=6), _latent_samples(fake_t + 1, real_t))
    assert 0.1 < other['gen/latent_fd'] < shifted['gen/latent_fd']
    assert other['gen/latent_fd'] == pytest.approx(
        _numpy_latent_fd(real.astype(np.float64), fake.astype(np.float64), 6), rel=1e-5)

    # A stored basis is used instead of the evaluation's own PCA (first columns kept).
    basis = torch.linalg.qr(torch.randn(32, 10, dtype=torch.float64))[0]
    path = tmp_path / 'basis.pth'
    torch.save(dict(mean=torch.zeros(32, dtype=torch.float64), components=basis), path)
    stored = _run(LatentFrechetMetric(num_components=4, reference=str(path)),
                  _latent_samples(fake_t, real_t))
    a, b = (x.reshape(80, -1).astype(np.float64) @ basis[:, :4].numpy() for x in (real, fake))
    expected = frechet_distance(a.mean(0), np.cov(a, rowvar=False), b.mean(0),
                                np.cov(b, rowvar=False))
    assert stored['gen/latent_fd'] == pytest.approx(expected, rel=1e-6)

    # Fewer samples than directions: as many directions as samples, not an error.
    few = _run(LatentFrechetMetric(), _latent_samples(fake_t[:10], real_t[:10]))
    assert np.isfinite(few['gen/latent_fd'])
    with pytest.raises(ValueError, match='basis file .* does not exist'):
        LatentFrechetMetric(reference=str(tmp_path / 'missing.pth'))


def test_latent_probe_accuracy():
    generator = torch.Generator().manual_seed(0)
    centres = 3 * torch.randn(4, 2, 3, 3, generator=generator)
    labels = torch.arange(4).repeat(15)
    real = centres[labels] + 0.3 * torch.randn(60, 2, 3, 3, generator=generator)
    fake = centres[labels] + 0.3 * torch.randn(60, 2, 3, 3, generator=generator)
    result = _run(LatentProbeMetric(num_classes=4), _latent_samples(fake, real, labels))
    assert result == {'gen/probe_acc': 1.0}
    unconditioned = centres[torch.randint(0, 4, (60, ), generator=generator)]
    chance = _run(LatentProbeMetric(), _latent_samples(unconditioned, real, labels))
    assert chance['gen/probe_acc'] < 0.5
    with pytest.raises(ValueError, match="'latents' and 'real_latents'"):
        LatentProbeMetric().process(None, [dict(latents=real[0], gt_label=0)])


def test_score_samples_end_to_end(tmp_path, adm_reference, inception_file, degraded, features):
    samples = tmp_path / 'samples.npz'
    write_samples_npz(str(samples), degraded[:GENERATED].permute(0, 2, 3, 1).numpy(),
                      np.arange(GENERATED) % 3)
    result = score_samples(str(samples), adm_reference, inception_file, batch_size=5,
                           progress=False)
    assert result['num_samples'] == GENERATED
    assert result['gfid'] == pytest.approx(_expected_fid(features), rel=1e-3)
    assert result['gis'] == pytest.approx(inception_score(features['logits'])[0], rel=1e-4)
    bad = tmp_path / 'float_samples.npz'
    np.savez(bad, arr_0=np.zeros((4, 8, 8, 3), np.float32))
    with pytest.raises(ValueError, match='float_samples.npz: arr_0 is float32 .*uint8 '
                                         r'\(N, H, W, 3\)'):
        score_samples(str(bad), adm_reference, inception_file, progress=False)
