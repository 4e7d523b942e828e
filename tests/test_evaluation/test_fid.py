"""rFID / rIS against torch-fidelity with the same (random, BN-calibrated) Inception file."""
import numpy as np
import pytest
import torch
from PIL import Image

from vitok_mm.evaluation import FIDMetric, LPIPSMetric
from vitok_mm.evaluation.functional import RunningStatistics, frechet_distance
from vitok_mm.feature_networks import INCEPTION_FILE


def _samples(pred: torch.Tensor, gt: torch.Tensor):
    to_pixels = lambda x: x.float() / 127.5 - 1  # noqa: E731
    return [dict(pred=to_pixels(p), gt=to_pixels(g)) for p, g in zip(pred, gt)]


def _metric(inception_file, **kwargs) -> FIDMetric:
    return FIDMetric(inception_weights=inception_file, **kwargs)


def _evaluate(metric, pred, gt, batch=8):
    samples = _samples(pred, gt)
    for i in range(0, len(samples), batch):
        metric.process(None, samples[i:i + batch])
    return metric.evaluate(len(samples))


def _write_folder(folder, images):
    folder.mkdir()
    for i, img in enumerate(images):
        Image.fromarray(img.permute(1, 2, 0).numpy()).save(folder / f'{i:03d}.png')
    return str(folder)


def test_fid_and_is_equal_torch_fidelity(tmp_path, inception_file, photo_views, degraded):
    import torch_fidelity
    ours = _evaluate(_metric(inception_file), degraded, photo_views)
    reference = torch_fidelity.calculate_metrics(
        input1=_write_folder(tmp_path / 'recon', degraded),
        input2=_write_folder(tmp_path / 'real', photo_views),
        fid=True, isc=True, cuda=False, verbose=False, cache=False,
        feature_extractor_weights_path=inception_file)
    fid = reference['frechet_inception_distance']
    assert ours['recon/rfid'] == pytest.approx(fid, rel=1e-3)
    assert ours['recon/ris'] == pytest.approx(reference['inception_score_mean'], rel=1e-3)
    assert fid > 1.0  # the random network does separate the two sets


def test_fid_of_a_set_with_itself_is_zero(inception_file, photo_views):
    result = _evaluate(_metric(inception_file, compute_is=False), photo_views, photo_views)
    assert abs(result['recon/rfid']) < 1e-3


def test_statistics_gathered_from_processes_equal_one_process(inception_file, photo_views,
                                                               degraded):
    """What DDP gathering does: merge per-process statistics, then compute. (Batch size 1
    on both sides: float32 convolutions differ in the last bits between batch sizes; the
    1e-4 tolerance covers the eigenvalues of a rank-19 covariance product, whose
    near-zero ones move with summation order and thread scheduling.)"""
    whole = _evaluate(_metric(inception_file), degraded, photo_views, batch=1)
    parts = []
    for half in (slice(0, 11), slice(11, None)):
        metric = _metric(inception_file)
        for sample in _samples(degraded[half], photo_views[half]):
            metric.process(None, [sample])
        parts.append(dict(real=metric.real.state(), fake=metric.fake.state(),
                          logits=torch.cat(metric.logits), indices=metric.indices))
    merged = _metric(inception_file).compute_metrics(parts)
    assert merged['rfid'] == pytest.approx(whole['recon/rfid'], rel=1e-4)
    assert merged['ris'] == pytest.approx(whole['recon/ris'], rel=1e-6)


def test_running_statistics_match_numpy():
    features = torch.randn(50, 6, dtype=torch.float64) * 3 + 1
    stats = RunningStatistics(6)
    stats.update(features[:20])
    stats.update(features[20:])
    np.testing.assert_allclose(stats.mean, features.numpy().mean(0), rtol=1e-12)
    np.testing.assert_allclose(stats.covariance, np.cov(features.numpy(), rowvar=False),
                               rtol=1e-10)
    mu, sigma = stats.mean, stats.covariance
    assert abs(frechet_distance(mu, sigma, mu, sigma)) < 1e-8
    assert frechet_distance(mu, sigma, mu + 1, sigma) == pytest.approx(6.0, rel=1e-6)


def test_reference_cache_is_written_then_reused(tmp_path, inception_file, photo_views,
                                                degraded):
    cache = tmp_path / 'imagenet_val_stats.pth'
    first = _evaluate(_metric(inception_file, reference_cache=str(cache)), degraded,
                      photo_views)
    assert cache.is_file()
    # With the cache, the originals are not even looked at: pass garbage as gt.
    second = _evaluate(_metric(inception_file, reference_cache=str(cache)), degraded,
                       torch.zeros_like(photo_views))
    assert second['recon/rfid'] == pytest.approx(first['recon/rfid'], rel=1e-9)
    with pytest.raises(ValueError, match='holds statistics of 20 images but 10 were'):
        _evaluate(_metric(inception_file, reference_cache=str(cache)), degraded[:10],
                  photo_views[:10])


def test_missing_or_wrong_inception_weights(tmp_path, monkeypatch):
    monkeypatch.setenv('TORCH_HOME', str(tmp_path / 'torch'))
    monkeypatch.setattr(torch.hub, '_hub_dir', None)
    sample = _samples(torch.zeros(1, 3, 16, 16, dtype=torch.uint8),
                      torch.zeros(1, 3, 16, 16, dtype=torch.uint8))
    with pytest.raises(FileNotFoundError, match=INCEPTION_FILE + '.*hub/checkpoints'):
        FIDMetric().process(None, sample)
    wrong = tmp_path / INCEPTION_FILE
    torch.save({'not': torch.zeros(1)}, wrong)
    with pytest.raises(ValueError, match='6726825d was expected'):
        FIDMetric(inception_weights=str(wrong)).process(None, sample)


def test_lpips_metric_uses_the_loss_weights(tmp_path, photo_views, degraded, monkeypatch):
    monkeypatch.setenv('TORCH_HOME', str(tmp_path / 'torch'))
    monkeypatch.setattr(torch.hub, '_hub_dir', None)
    with pytest.raises(FileNotFoundError, match='vgg16-397923af.pth'):
        LPIPSMetric().process(None, _samples(degraded[:1], photo_views[:1]))
