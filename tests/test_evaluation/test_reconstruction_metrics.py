"""PSNR / SSIM against scikit-image, and the metric the val loop uses."""
import pytest
import torch
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from vitok_mm.datasets.transforms import LoadImage, ResizeShortSide
from vitok_mm.evaluation import ReconstructionMetric
from vitok_mm.evaluation.functional import psnr, ssim
from vitok_mm.evaluation.metrics import to_unit_range
from vitok_mm.workflows.samples import bundled_photos


def _real_pairs(size=48):
    """Real photos and degraded copies (noise + blur), (N, 3, H, W) in [0, 1]."""
    images = []
    for path in bundled_photos(['astronaut', 'coffee', 'chelsea']).values():
        img = ResizeShortSide(size).transform(LoadImage().transform(dict(img_path=path)))['img']
        images.append(torch.from_numpy(img[:size, :size].copy()).permute(2, 0, 1) / 255.0)
    target = torch.stack(images).double()
    blurred = torch.nn.functional.avg_pool2d(target, 3, stride=1, padding=1)
    pred = (blurred + 0.03 * torch.randn_like(target)).clamp(0, 1)
    return pred, target


def test_psnr_and_ssim_match_scikit_image():
    pred, target = _real_pairs()
    ours_psnr, ours_ssim = psnr(pred, target), ssim(pred, target)
    for i in range(len(pred)):
        p = pred[i].permute(1, 2, 0).numpy()
        t = target[i].permute(1, 2, 0).numpy()
        ref_ssim = structural_similarity(t, p, channel_axis=-1, gaussian_weights=True,
                                         sigma=1.5, use_sample_covariance=False, data_range=1)
        ref_psnr = peak_signal_noise_ratio(t, p, data_range=1)
        assert abs(ours_ssim[i].item() - ref_ssim) < 1e-4
        assert abs(ours_psnr[i].item() - ref_psnr) < 1e-3
    assert 0.3 < ours_ssim.min() < ours_ssim.max() < 0.99  # a real, non-trivial comparison


def test_float32_inputs_agree_too():
    pred, target = _real_pairs()
    torch.testing.assert_close(ssim(pred.float(), target.float()), ssim(pred, target),
                               atol=1e-5, rtol=0)


def test_identity_and_video_and_bad_shapes():
    pred, target = _real_pairs()
    assert torch.allclose(ssim(target, target), torch.ones(3, dtype=torch.float64))
    assert torch.isinf(psnr(target, target)).all()
    video_pred = torch.stack([pred, pred.flip(-1)], dim=2)      # (N, 3, T=2, H, W)
    video_target = torch.stack([target, target.flip(-1)], dim=2)
    torch.testing.assert_close(ssim(video_pred, video_target), ssim(pred, target))
    with pytest.raises(ValueError, match='shapes differ'):
        ssim(pred, target[..., :40])
    with pytest.raises(ValueError, match='at least 11x11'):
        ssim(pred[..., :8, :8], target[..., :8, :8])


def test_metric_quantizes_like_saved_images_and_averages():
    pred, target = _real_pairs()
    metric = ReconstructionMetric()
    samples = [dict(pred=p.float() * 2 - 1, gt=t.float() * 2 - 1) for p, t in zip(pred, target)]
    metric.process(None, samples[:2])
    metric.process(None, samples[2:])
    result = metric.compute_metrics(metric.results)
    quantized_p = (pred * 255).round() / 255
    quantized_t = (target * 255).round() / 255
    assert result['psnr'] == pytest.approx(psnr(quantized_p, quantized_t).mean().item(), abs=1e-3)
    assert result['ssim'] == pytest.approx(ssim(quantized_p, quantized_t).mean().item(), abs=1e-4)
    assert torch.equal(to_unit_range(torch.tensor([-2.0, 1.0])), torch.tensor([0.0, 1.0]))
    with pytest.raises(ValueError, match="Unknown metrics \\['fid'\\]"):
        ReconstructionMetric(metrics=('psnr', 'fid'))


def test_hf_energy_ratio_on_request_flags_speckle_and_blur():
    """The quick start's HF energy as a metric (for sweeps): 1 for the original, above 1
    with added speckle, below 1 when blurred; the default metrics are unchanged."""
    import torch.nn.functional as F
    _, target = _real_pairs()
    assert 'hf_energy_ratio' not in ReconstructionMetric().metrics
    metric = ReconstructionMetric(metrics=('psnr', 'hf_energy_ratio'))
    torch.manual_seed(0)
    noisy = (target + 0.03 * torch.randn_like(target)).clamp(0, 1)
    blurred = F.avg_pool2d(target, 3, stride=1, padding=1, count_include_pad=False)
    for pred, check in ((target, lambda v: v == pytest.approx(1.0)), (noisy, lambda v: v > 1.2),
                        (blurred, lambda v: v < 0.8)):
        metric.results = []
        metric.process(None, [dict(pred=p * 2 - 1, gt=t * 2 - 1) for p, t in zip(pred, target)])
        assert check(metric.compute_metrics(metric.results)['hf_energy_ratio'])


def test_video_scores_are_per_frame_averaged_over_frames_then_clips():
    pred, target = _real_pairs()
    noisier = (pred + 0.1 * torch.randn_like(pred)).clamp(0, 1)
    # Clip i: frame 0 = photo i slightly degraded, frame 1 = photo i badly degraded.
    clips_pred = torch.stack([pred, noisier], dim=2).float() * 2 - 1
    clips_gt = torch.stack([target, target], dim=2).float() * 2 - 1
    metric = ReconstructionMetric()
    metric.process(None, [dict(pred=p, gt=g) for p, g in zip(clips_pred, clips_gt)])
    result = metric.compute_metrics(metric.results)
    q = lambda x: (x.float() * 255).round() / 255  # noqa: E731 - 8-bit levels
    per_frame = torch.stack([psnr(q(pred), q(target)), psnr(q(noisier), q(target))])
    assert result['psnr'] == pytest.approx(per_frame.mean().item(), abs=1e-3)
    # Not the PSNR of each clip's pooled error (which weights the worse frame more).
    pooled = psnr(q(torch.stack([pred, noisier], 2)), q(torch.stack([target, target], 2)))
    assert abs(result['psnr'] - pooled.mean().item()) > 0.1
