"""High-frequency energy ratio: values against scipy, and the direction of blur and noise."""
import numpy as np
import pytest
import torch
from scipy import ndimage

from vitok_mm.evaluation.functional import high_frequency_ratio, laplacian_energy


def test_laplacian_energy_matches_scipy_on_valid_positions():
    rng = np.random.default_rng(0)
    images = rng.random((2, 3, 12, 10))
    expected = []
    for image in images:
        responses = [ndimage.laplace(channel)[1:-1, 1:-1] for channel in image]
        expected.append(np.mean(np.square(responses)))
    assert np.allclose(laplacian_energy(torch.from_numpy(images)).numpy(), expected)


def test_blur_lowers_and_noise_raises_the_ratio(photo_views):
    views = photo_views[:2].float() / 255
    blurred = torch.nn.functional.avg_pool2d(views, 3, stride=1, padding=1,
                                             count_include_pad=False)
    noisy = (views + 0.05 * torch.randn_like(views)).clamp(0, 1)
    assert torch.allclose(high_frequency_ratio(views, views), torch.ones(2, dtype=torch.float64))
    assert (high_frequency_ratio(blurred, views) < 0.5).all()
    assert (high_frequency_ratio(noisy, views) > 1.0).all()
    video = views[:, :, None].expand(-1, -1, 4, -1, -1)
    assert torch.allclose(high_frequency_ratio(video, video), torch.ones(2, dtype=torch.float64))
    with pytest.raises(ValueError, match='shapes differ'):
        high_frequency_ratio(views, views[:1])
