"""Discriminators and their layers: output shapes, values against hand computations, errors."""
import numpy as np
import pytest
import torch

from vitok_mm.models import PatchGANDiscriminator, StyleGANDiscriminator
from vitok_mm.models.layers.blur_pool import BlurPool2d
from vitok_mm.models.layers.minibatch_std import MinibatchStdDev
from vitok_mm.registry import MODELS


def test_blur_pool_matches_a_direct_sum_over_the_binomial_window():
    x = torch.randn(2, 3, 8, 10, dtype=torch.float64)
    out = BlurPool2d(3)(x.float()).double()
    taps = np.array([1, 3, 3, 1]) / 8
    padded = np.pad(x.numpy(), ((0, 0), (0, 0), (1, 2), (1, 2)), mode='reflect')
    expected = np.zeros((2, 3, 4, 5))
    for i in range(4):
        for j in range(5):
            window = padded[:, :, 2 * i:2 * i + 4, 2 * j:2 * j + 4]
            expected[:, :, i, j] = np.einsum('ncab,a,b->nc', window, taps, taps)
    assert out.shape == (2, 3, 4, 5)
    assert np.allclose(out.numpy(), expected, atol=1e-5)
    constant = torch.full((1, 3, 8, 8), 0.7)
    assert torch.allclose(BlurPool2d(3)(constant), torch.full((1, 3, 4, 4), 0.7))


def test_minibatch_stddev_appends_the_group_statistic():
    torch.manual_seed(0)
    x = torch.randn(4, 6, 2, 2)
    out = MinibatchStdDev(group_size=2, num_channels=1)(x)
    assert out.shape == (4, 7, 2, 2)
    assert torch.equal(out[:, :6], x)
    # Groups are samples {0, 2} and {1, 3} (StyleGAN2's layout).
    for members in ((0, 2), (1, 3)):
        std = x[list(members)].std(dim=0, unbiased=False).mean()
        for m in members:
            assert torch.allclose(out[m, 6], std.expand(2, 2), atol=1e-5)
    # A batch that the group size does not divide uses the largest divisor: 3 samples in
    # groups of up to 4 make one group of 3; in groups of up to 2, groups of 1 (zeros).
    whole = x[:3].std(dim=0, unbiased=False).mean()
    assert torch.allclose(MinibatchStdDev(group_size=4)(x[:3])[:, 6], whole.expand(3, 2, 2))
    assert torch.equal(MinibatchStdDev(group_size=2)(x[:3])[:, 6], torch.zeros(3, 2, 2))


@pytest.mark.parametrize('size', [16, 32, 64])
def test_stylegan_discriminator_gives_one_logit_per_image(size):
    d = StyleGANDiscriminator(image_size=size, base_channels=8, max_channels=32)
    assert d(torch.randn(4, 3, size, size)).shape == (4, 1)
    assert d(torch.randn(3, 3, size, size)).shape == (3, 1)  # any batch size (mbstd)


def test_stylegan_discriminator_errors_name_the_fix():
    with pytest.raises(ValueError, match='image_size = 4 x 2'):
        StyleGANDiscriminator(image_size=48)
    d = StyleGANDiscriminator(image_size=32, base_channels=8)
    with pytest.raises(ValueError, match=r'takes \(N, 3, 32, 32\).*PerFrameDiscriminator'):
        d(torch.randn(2, 3, 64, 64))


@pytest.mark.parametrize('num_layers, expected', [(1, 14), (2, 6), (3, 2)])
def test_patchgan_logit_map_size(num_layers, expected):
    # Each stride-2 4x4 conv (pad 1) halves; the two stride-1 4x4 convs take 1 each.
    d = PatchGANDiscriminator(base_channels=8, num_layers=num_layers)
    assert d(torch.randn(2, 3, 32, 32)).shape == (2, 1, expected, expected)


def test_patchgan_3d_keeps_time_and_per_frame_wraps_an_image_discriminator():
    video = torch.randn(2, 3, 4, 32, 32)
    d3 = PatchGANDiscriminator(base_channels=8, num_layers=2, dims=3, norm_type='group')
    assert d3(video).shape == (2, 1, 4, 6, 6)
    frames = MODELS.build(dict(type='PerFrameDiscriminator', discriminator=dict(
        type='StyleGANDiscriminator', image_size=32, base_channels=8, mbstd_group_size=0)))
    logits = frames(video)
    assert logits.shape == (2, 4, 1)
    # Frame t of video n is judged alone, as the image discriminator judges it.
    single = frames.frame_discriminator(video[1, :, 2][None])
    assert torch.allclose(logits[1, 2], single[0], atol=1e-5)
    with pytest.raises(ValueError, match='PerFrameDiscriminator takes videos'):
        frames(torch.randn(2, 3, 32, 32))
    with pytest.raises(ValueError, match=r'dims=3\) takes \(N, C, T, H, W\)'):
        d3(torch.randn(2, 3, 32, 32))


def test_patchgan_rejects_bad_options():
    with pytest.raises(ValueError, match="norm_type must be one of"):
        PatchGANDiscriminator(norm_type='instance')
    with pytest.raises(ValueError, match='dims must be 2'):
        PatchGANDiscriminator(dims=1)
    with pytest.raises(ValueError, match='temporal_kernel must be odd'):
        PatchGANDiscriminator(dims=3, temporal_kernel=2)


def test_logit_ema_starts_at_the_first_value_then_decays():
    d = StyleGANDiscriminator(image_size=16, base_channels=8)
    d.update_logit_ema(torch.tensor(2.0), torch.tensor(-1.0), decay=0.9)
    assert torch.allclose(d.logit_ema, torch.tensor([2.0, -1.0]))
    d.update_logit_ema(torch.tensor(0.0), torch.tensor(1.0), decay=0.9)
    assert torch.allclose(d.logit_ema, torch.tensor([1.8, -0.8]))
    assert 'logit_ema' in d.state_dict() and int(d.logit_ema_steps) == 2
