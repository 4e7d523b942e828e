"""Colour shift and blockiness against values computed by hand on synthetic images: a
constant shift per channel, an 8x8 block grid over a ramp, a smooth gradient; and the
same through ReconstructionMetric (with 8-bit quantization, for images and clips)."""
import pytest
import torch

from vitok_mm.evaluation import ReconstructionMetric
from vitok_mm.evaluation.functional import blockiness, colour_shift

LEVEL = 1 / 255


def ramp(height=32, width=32, row_step=0.0, col_step=0.01, base=0.2):
    rows = torch.arange(height, dtype=torch.float64)[:, None]
    cols = torch.arange(width, dtype=torch.float64)[None, :]
    return (base + row_step * rows + col_step * cols).expand(1, 3, height, width).clone()


def test_a_constant_shift_per_channel_is_measured_in_levels():
    target = ramp()
    pred = target + torch.tensor([3, -2, 0], dtype=torch.float64).view(1, 3, 1, 1) * LEVEL
    torch.testing.assert_close(colour_shift(pred, target),
                               torch.tensor([[3.0, -2.0, 0.0]], dtype=torch.float64))
    clip = pred[:, :, None].expand(1, 3, 4, 32, 32)
    torch.testing.assert_close(colour_shift(clip, target[:, :, None].expand_as(clip)),
                               torch.tensor([[3.0, -2.0, 0.0]], dtype=torch.float64))


def test_an_8x8_grid_over_a_ramp_scores_what_hand_arithmetic_gives():
    """A ramp of 0.01 per column plus a checkerboard of 8x8 blocks offset by 0.1: across a
    column border the steps are 0.1 +- 0.01 (half the rows each: mean 0.1) against 0.01
    inside; across a row border 0.1 against 0 inside. (0.1 + 0.1) / (0.01 + 0) = 20."""
    a, b = 0.01, 0.1
    image = ramp(col_step=a)
    blocks = torch.arange(4)
    checker = ((blocks[:, None] + blocks[None, :]) % 2).double() * b
    image = image + checker.repeat_interleave(8, 0).repeat_interleave(8, 1)
    assert blockiness(image, 8).item() == pytest.approx(2 * b / a)
    # The same grid seen with a patch size it does not follow has no steps at borders.
    assert blockiness(image, 16).item() < blockiness(image, 8).item()


@pytest.mark.parametrize('shape', [(32, 32), (32, 48), (48, 32)])
def test_a_smooth_gradient_has_no_grid(shape):
    image = ramp(*shape, row_step=0.004, col_step=0.01)
    assert blockiness(image, 8).item() == pytest.approx(1.0)
    assert blockiness(image[:, :, None].expand(1, 3, 3, *shape), 8).item() == \
        pytest.approx(1.0)


def test_the_metric_reports_them_off_by_default():
    target = ramp()
    shifted = target + torch.tensor([3, -2, 0], dtype=torch.float64).view(1, 3, 1, 1) * LEVEL
    samples = [dict(pred=(shifted[0] * 2 - 1), gt=(target[0] * 2 - 1))]
    plain = ReconstructionMetric()
    plain.process(None, samples)
    assert set(plain.compute_metrics(plain.results)) == {'psnr', 'ssim'}
    metric = ReconstructionMetric(metrics=['colour_shift', 'colour_shift_max', 'blockiness'],
                                  patch_size=8)
    metric.process(None, samples)
    scores = metric.compute_metrics(metric.results)
    assert scores['colour_shift'] == pytest.approx(5 / 3, abs=1e-6)
    assert scores['colour_shift_max'] == pytest.approx(3.0, abs=1e-6)
    assert scores['blockiness'] == pytest.approx(1.0)  # a uniform shift adds no grid
    video = ReconstructionMetric(metrics=['colour_shift', 'blockiness'], patch_size=8)
    video.process(None, [dict(pred=s['pred'][:, None].expand(3, 4, 32, 32),
                              gt=s['gt'][:, None].expand(3, 4, 32, 32)) for s in samples])
    assert video.compute_metrics(video.results)['colour_shift'] == pytest.approx(5 / 3,
                                                                               abs=1e-6)


def test_blockiness_needs_the_patch_size():
    with pytest.raises(ValueError, match="'blockiness' metric needs the tokenizer's "
                                         'patch_size'):
        ReconstructionMetric(metrics=['blockiness'])
    with pytest.raises(ValueError, match='at least two patches per side'):
        blockiness(torch.zeros(1, 3, 8, 32), 8)
