import math

import pytest
import torch

from vitok_mm.models.diffusion import check_guidance, classifier_free_guidance

C = 3  # latent channels; the model also outputs C variance channels


def labelled_model(calls):
    """Output differs between labels on every channel: ``x * (1 + y) + y * (k + 1)``."""
    def model_fn(x, t, y):
        calls.append(dict(batch=len(x), y=y.clone(), t=t.clone()))
        y = y.float().view(-1, 1, 1)
        k = torch.arange(2 * C, dtype=torch.float32).view(1, -1, 1)
        return torch.cat([x, x], 1) * (1 + y) + y * (k + 1)
    return model_fn


def halves(x, y):
    return labelled_model([])(x, torch.zeros(len(x)), torch.full((len(x),), y))


def test_scale_one_is_one_conditional_pass():
    calls = []
    x, cond = torch.randn(4, C, 5), torch.tensor([1, 2, 3, 4])
    fn = classifier_free_guidance(labelled_model(calls), cond, torch.zeros(4).long(), 1.0, C)
    out = fn(x, torch.zeros(4))
    assert len(calls) == 1 and calls[0]['batch'] == 4 and calls[0]['y'].tolist() == [1, 2, 3, 4]
    torch.testing.assert_close(out, labelled_model([])(x, torch.zeros(len(x)), cond))


@pytest.mark.parametrize('scale', [0.0, 1.5, 4.0])
def test_guided_channels_and_conditional_variance(scale):
    calls = []
    x, t = torch.randn(4, C, 5), torch.arange(4.0)
    fn = classifier_free_guidance(labelled_model(calls), torch.full((4,), 2),
                                  torch.full((4,), 0), scale, C)
    out = fn(x, t)
    assert len(calls) == 1 and calls[0]['batch'] == 8
    assert calls[0]['y'].tolist() == [2] * 4 + [0] * 4
    assert calls[0]['t'].tolist() == [0, 1, 2, 3] * 2
    c, u = halves(x, 2), halves(x, 0)
    assert (c[:, :C] - u[:, :C]).abs().min() > 0  # the check below sees every channel
    torch.testing.assert_close(out[:, :C], u[:, :C] + scale * (c[:, :C] - u[:, :C]))
    torch.testing.assert_close(out[:, C:], c[:, C:])


def test_interval_guides_only_inside():
    x, t = torch.randn(4, C, 5), torch.tensor([0.0, 300.0, 600.0, 999.0])
    fn = classifier_free_guidance(labelled_model([]), torch.full((4,), 2), torch.zeros(4).long(),
                                  3.0, C, interval=(0.2, 0.7), noise_level=lambda t: t / 999)
    out = fn(x, t)
    c, u = halves(x, 2), halves(x, 0)
    guided = u[:, :C] + 3.0 * (c[:, :C] - u[:, :C])
    torch.testing.assert_close(out[1:3, :C], guided[1:3])
    torch.testing.assert_close(out[[0, 3]], c[[0, 3]])
    torch.testing.assert_close(out[:, C:], c[:, C:])
    # No sample inside: the unconditional pass is skipped.
    calls = []
    fn = classifier_free_guidance(labelled_model(calls), torch.full((4,), 2),
                                  torch.zeros(4).long(), 3.0, C, interval=(0.2, 0.7),
                                  noise_level=lambda t: t / 999)
    torch.testing.assert_close(fn(x, torch.full((4,), 999.0)), c)
    assert [call['batch'] for call in calls] == [4]


@pytest.mark.parametrize('scale', [math.nan, math.inf, -1.0])
def test_bad_scale_raises(scale):
    with pytest.raises(ValueError, match=r'guidance scale \(cfg_scale, --cfg-scale\) must '
                                         f'be a finite number >= 0.*got {scale}'):
        check_guidance(scale)


@pytest.mark.parametrize('interval, match', [
    ((0.5, 0.2), r'\(0.5, 0.2\) has lo > hi; give it as \(lo, hi\), e.g. \(0.2, 0.5\)'),
    ((-0.1, 1), r'\(-0.1, 1\) must lie in \[0, 1\]'),
    ((0, 1.5), r'\(0, 1.5\) must lie in \[0, 1\]'),
    ((0.1,), r'two noise levels \(lo, hi\), got \(0.1,\)'),
    ((0.1, 0.2, 0.3), 'two noise levels'),
])
def test_bad_interval_raises(interval, match):
    with pytest.raises(ValueError, match=match):
        check_guidance(2.0, interval)
    with pytest.raises(ValueError, match=match):
        classifier_free_guidance(None, None, None, 2.0, C, interval=interval,
                                 noise_level=lambda t: t)


def test_interval_needs_the_noise_level():
    with pytest.raises(ValueError, match='needs noise_level'):
        classifier_free_guidance(None, None, None, 2.0, C, interval=(0.0, 0.5))
