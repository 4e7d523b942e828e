"""Adversarial losses against hand-computed values, and the ramp-in schedule."""
import pytest
import torch

from vitok_mm.models.losses import (
    AdversarialLoss,
    adaptive_weight,
    discriminator_loss,
    generator_loss,
    lecam_regularizer,
    r1_penalty,
)

REAL = torch.tensor([2.0, 0.5, -1.0])
FAKE = torch.tensor([-3.0, 0.0, 1.5])


def test_hinge_losses():
    # D: relu(1 - real) = [0, .5, 2] (mean 5/6); relu(1 + fake) = [0, 1, 2.5] (mean 7/6).
    assert discriminator_loss(REAL, FAKE, 'hinge').item() == pytest.approx(0.5 * (5 / 6 + 7 / 6))
    assert generator_loss(FAKE, 'hinge').item() == pytest.approx(-(-3.0 + 0.0 + 1.5) / 3)


def test_non_saturating_losses_equal_binary_cross_entropy():
    import math
    sp = lambda v: math.log1p(math.exp(v))  # noqa: E731 - softplus by hand
    expected_d = 0.5 * (sum(sp(-r) for r in REAL.tolist()) / 3
                        + sum(sp(f) for f in FAKE.tolist()) / 3)
    assert discriminator_loss(REAL, FAKE, 'non_saturating').item() == pytest.approx(expected_d)
    bce = torch.nn.functional.binary_cross_entropy_with_logits
    assert generator_loss(FAKE, 'non_saturating').item() == pytest.approx(
        bce(FAKE, torch.ones(3)).item(), rel=1e-6)
    with pytest.raises(ValueError, match='loss_type must be one of'):
        generator_loss(FAKE, 'wasserstein')


def test_lecam_regularizer():
    # relu(real - ema_fake=0.5) = [1.5, 0, 0] -> mean sq 0.75;
    # relu(ema_real=1 - fake) = [4, 1, 0] -> mean sq 17/3.
    value = lecam_regularizer(REAL, FAKE, torch.tensor(1.0), torch.tensor(0.5))
    assert value.item() == pytest.approx(0.75 + 17 / 3)


def test_r1_of_a_linear_discriminator_is_its_squared_weight_norm():
    w = torch.tensor([1.0, -2.0, 0.5, 3.0])
    x = torch.randn(5, 4, requires_grad=True)
    logits = x @ w
    assert r1_penalty(logits, x).item() == pytest.approx(float(w.square().sum()))
    loss = AdversarialLoss(r1_weight=2.0, r1_interval=4)
    assert loss.r1(x @ w, x).item() == pytest.approx(0.5 * 2.0 * 4 * float(w.square().sum()))


def test_adaptive_weight_is_the_ratio_of_gradient_norms():
    layer = torch.tensor([1.0, 2.0], requires_grad=True)
    a, b = torch.tensor([3.0, 4.0]), torch.tensor([0.6, 0.8])  # gradient norms 5 and 1
    rec, gan = (layer * a).sum(), (layer * b).sum()
    assert adaptive_weight(rec, gan, layer, eps=0.0).item() == pytest.approx(5.0)
    assert adaptive_weight(rec, gan, layer, eps=1.0).item() == pytest.approx(2.5)
    assert adaptive_weight(rec, gan, layer, eps=0.0, max_weight=2.0).item() == 2.0
    assert not adaptive_weight(rec, gan, layer).requires_grad


def test_ramp_schedule():
    loss = AdversarialLoss(loss_weight=0.4, generator_start=10, warmup_iters=4,
                           discriminator_start=6)
    weights = [loss.generator_weight(i) for i in range(8, 16)]
    assert weights == pytest.approx([0, 0, 0.1, 0.2, 0.3, 0.4, 0.4, 0.4])
    assert [loss.discriminator_active(i) for i in (5, 6)] == [False, True]
    no_warmup = AdversarialLoss(loss_weight=0.4, generator_start=3)
    assert [no_warmup.generator_weight(i) for i in (2, 3)] == [0.0, 0.4]
    assert no_warmup.discriminator_start == 3  # defaults to the generator's start
    lazy = AdversarialLoss(r1_weight=1.0, r1_interval=4, discriminator_start=2)
    assert [i for i in range(12) if lazy.r1_due(i)] == [2, 6, 10]
    assert not any(AdversarialLoss().r1_due(i) for i in range(20))  # off by default


@pytest.mark.parametrize('options, message', [
    (dict(loss_type='ls'), 'loss_type must be one of'),
    (dict(warmup_iters=-1), 'warmup_iters must be >= 0'),
    (dict(lecam_decay=1.0), r'lecam_decay must be in \[0, 1\)'),
    (dict(r1_interval=0), 'r1_interval must be >= 1'),
    (dict(discriminator_start=-5), 'discriminator_start must be >= 0'),
])
def test_bad_options_are_named(options, message):
    with pytest.raises(ValueError, match=message):
        AdversarialLoss(**options)
