"""Adversarial losses of stage 2: hinge / non-saturating, adaptive weight, LeCam, R1 and
the ramp-in schedule of the GAN term."""
from typing import Optional

import torch
import torch.nn.functional as F
from torch import nn

from vitok_mm.registry import MODELS

LOSS_TYPES = ('hinge', 'non_saturating')


def discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor,
                       loss_type: str = 'hinge') -> torch.Tensor:
    """D's loss, the mean over real and fake of their per-logit means:
    hinge ``(relu(1 - real) + relu(1 + fake)) / 2``;
    non-saturating ``(softplus(-real) + softplus(fake)) / 2`` (= BCE with logits)."""
    if loss_type == 'hinge':
        return 0.5 * (F.relu(1 - real_logits).mean() + F.relu(1 + fake_logits).mean())
    if loss_type == 'non_saturating':
        return 0.5 * (F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean())
    raise ValueError(f'loss_type must be one of {LOSS_TYPES}, got {loss_type!r}.')


def generator_loss(fake_logits: torch.Tensor, loss_type: str = 'hinge') -> torch.Tensor:
    """G's loss on D's logits of its outputs: hinge ``-mean(fake)``; non-saturating
    ``mean(softplus(-fake))``."""
    if loss_type == 'hinge':
        return -fake_logits.mean()
    if loss_type == 'non_saturating':
        return F.softplus(-fake_logits).mean()
    raise ValueError(f'loss_type must be one of {LOSS_TYPES}, got {loss_type!r}.')


def lecam_regularizer(real_logits: torch.Tensor, fake_logits: torch.Tensor,
                      ema_real: torch.Tensor, ema_fake: torch.Tensor) -> torch.Tensor:
    """LeCam (Tseng et al. 2021): ``mean(relu(real - ema_fake)^2) + mean(relu(ema_real -
    fake)^2)``; keeps D's logits near their running means, which steadies training on
    little data."""
    return (F.relu(real_logits - ema_fake).pow(2).mean()
            + F.relu(ema_real - fake_logits).pow(2).mean())


def r1_penalty(real_logits: torch.Tensor, real_inputs: torch.Tensor) -> torch.Tensor:
    """R1 (Mescheder et al. 2018): the per-sample squared norm of ``d logits / d inputs``
    on real data, averaged over the batch. ``real_inputs`` must require grad."""
    grad, = torch.autograd.grad(real_logits.sum(), real_inputs, create_graph=True)
    return grad.float().pow(2).flatten(1).sum(1).mean()


def adaptive_weight(reconstruction_loss: torch.Tensor, gan_loss: torch.Tensor,
                    last_layer: torch.Tensor, eps: float = 1e-4,
                    max_weight: float = 1e4) -> torch.Tensor:
    """``||grad rec|| / (||grad gan|| + eps)`` at ``last_layer`` (Esser et al. 2021),
    clamped to ``[0, max_weight]`` and detached: scales the GAN term so that its gradient
    at the decoder's output is as large as the reconstruction loss's."""
    rec_grad, = torch.autograd.grad(reconstruction_loss, last_layer, retain_graph=True)
    gan_grad, = torch.autograd.grad(gan_loss, last_layer, retain_graph=True)
    return (rec_grad.norm() / (gan_grad.norm() + eps)).clamp(0, max_weight).detach()


@MODELS.register_module()
class AdversarialLoss(nn.Module):
    """The GAN term of stage 2 and its schedule; used by :class:`~vitok_mm.models.ViTokGAN`.

    Iterations count from 0 (MMEngine's ``runner.iter``). The generator's GAN weight is
    0 before ``generator_start``, then ramps linearly, reaching ``loss_weight`` after
    ``warmup_iters`` iterations: ``loss_weight * min(1, (i - generator_start + 1) /
    warmup_iters)``. The discriminator trains from ``discriminator_start`` (default: the
    generator's start), so it can learn before its verdict reaches the decoder.

    Args:
        loss_type: ``'hinge'`` (the paper) or ``'non_saturating'``.
        loss_weight: weight of the GAN term after the ramp.
        generator_start, warmup_iters, discriminator_start: the schedule above.
        adaptive_weight: multiply the GAN term by :func:`adaptive_weight` at the
            decoder's last layer.
        adaptive_eps, adaptive_max: its epsilon and upper bound.
        lecam_weight, lecam_decay: weight of :func:`lecam_regularizer` (0: off) and the
            decay of the discriminator's logit EMAs.
        r1_weight, r1_interval: R1 weight gamma (the penalty is ``gamma / 2 * R1``; 0:
            off), applied every ``r1_interval`` discriminator iterations and scaled by
            the interval (lazy regularisation, StyleGAN2).
    """

    def __init__(self, loss_type: str = 'hinge', loss_weight: float = 0.1,
                 generator_start: int = 0, warmup_iters: int = 0,
                 discriminator_start: Optional[int] = None, adaptive_weight: bool = True,
                 adaptive_eps: float = 1e-4, adaptive_max: float = 1e4,
                 lecam_weight: float = 0.0, lecam_decay: float = 0.999,
                 r1_weight: float = 0.0, r1_interval: int = 16):
        super().__init__()
        if loss_type not in LOSS_TYPES:
            raise ValueError(f'loss_type must be one of {LOSS_TYPES}, got {loss_type!r}.')
        for name, value in (('generator_start', generator_start),
                            ('warmup_iters', warmup_iters), ('loss_weight', loss_weight),
                            ('lecam_weight', lecam_weight), ('r1_weight', r1_weight)):
            if value < 0:
                raise ValueError(f'{name} must be >= 0, got {value}.')
        if not 0 <= lecam_decay < 1:
            raise ValueError(f'lecam_decay must be in [0, 1), got {lecam_decay}.')
        if r1_interval < 1:
            raise ValueError(f'r1_interval must be >= 1, got {r1_interval}.')
        self.loss_type = loss_type
        self.loss_weight = loss_weight
        self.generator_start = generator_start
        self.warmup_iters = warmup_iters
        self.discriminator_start = (generator_start if discriminator_start is None
                                    else discriminator_start)
        if self.discriminator_start < 0:
            raise ValueError(f'discriminator_start must be >= 0, got {discriminator_start}.')
        self.use_adaptive_weight = adaptive_weight
        self.adaptive_eps = adaptive_eps
        self.adaptive_max = adaptive_max
        self.lecam_weight = lecam_weight
        self.lecam_decay = lecam_decay
        self.r1_weight = r1_weight
        self.r1_interval = r1_interval

    def generator_weight(self, iteration: int) -> float:
        """The ramped weight of the generator's GAN term at ``iteration``."""
        if iteration < self.generator_start:
            return 0.0
        if self.warmup_iters == 0:
            return float(self.loss_weight)
        ramp = (iteration - self.generator_start + 1) / self.warmup_iters
        return float(self.loss_weight * min(1.0, ramp))

    def discriminator_active(self, iteration: int) -> bool:
        return iteration >= self.discriminator_start

    def r1_due(self, iteration: int) -> bool:
        return self.r1_weight > 0 and (iteration - self.discriminator_start) % self.r1_interval == 0

    def generator_loss(self, fake_logits: torch.Tensor) -> torch.Tensor:
        return generator_loss(fake_logits, self.loss_type)

    def discriminator_loss(self, real_logits: torch.Tensor,
                           fake_logits: torch.Tensor) -> torch.Tensor:
        return discriminator_loss(real_logits, fake_logits, self.loss_type)

    def adaptive_weight(self, reconstruction_loss: torch.Tensor, gan_loss: torch.Tensor,
                        last_layer: torch.Tensor) -> torch.Tensor:
        return adaptive_weight(reconstruction_loss, gan_loss, last_layer,
                               self.adaptive_eps, self.adaptive_max)

    def r1(self, real_logits: torch.Tensor, real_inputs: torch.Tensor) -> torch.Tensor:
        """The weighted lazy R1 term: ``gamma / 2 * interval * R1``."""
        return 0.5 * self.r1_weight * self.r1_interval * r1_penalty(real_logits, real_inputs)

    def extra_repr(self) -> str:
        return (f'loss_type={self.loss_type!r}, loss_weight={self.loss_weight}, '
                f'generator_start={self.generator_start}, warmup_iters={self.warmup_iters}, '
                f'discriminator_start={self.discriminator_start}, '
                f'adaptive_weight={self.use_adaptive_weight}')
