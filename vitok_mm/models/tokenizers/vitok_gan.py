"""ViTok stage 2: the decoder fine-tuned with an added adversarial loss, the encoder frozen."""
from contextlib import contextmanager
from typing import Dict, Sequence, Tuple, Union

import torch
from mmengine.logging import MessageHub
from mmengine.optim import OptimWrapperDict
from torch import nn

from vitok_mm.registry import MODELS
from vitok_mm.utils import unwrap
from vitok_mm.utils.loss_terms import publish_loss_terms

from ..losses.adversarial import lecam_regularizer
from .vitok import ViTok

UPDATE_ORDERS = (('generator', 'discriminator'), ('discriminator', 'generator'))


def current_iteration() -> int:
    """The runner's 0-based iteration, as set by MMEngine's RuntimeInfoHook (0 outside a
    runner)."""
    iteration = MessageHub.get_current_instance().get_info('iter')
    return 0 if iteration is None else int(iteration)


@contextmanager
def no_parameter_grads(module: nn.Module):
    """Build the graph through ``module`` without gradients for its parameters."""
    flags = [(p, p.requires_grad) for p in module.parameters()]
    for p, _ in flags:
        p.requires_grad_(False)
    try:
        yield
    finally:
        for p, flag in flags:
            p.requires_grad_(flag)


@MODELS.register_module()
class ViTokGAN(ViTok):
    """ViTok with a discriminator: the paper's stage 2 (decoder fine-tuning with a GAN loss).

    Train with an ``OptimWrapperDict`` of ``generator`` and ``discriminator`` wrappers
    (``GANOptimWrapperConstructor``). Each iteration (``train_step``):

    1. encodes the batch with the frozen encoder (no autograd) and decodes a sample of
       the posterior (its mean with ``sample_posterior=False``);
    2. in ``update_order``: the generator step (reconstruction losses plus the ramped,
       optionally adaptive GAN term; the discriminator's parameters get no gradient)
       and the discriminator step (its loss on the batch and the detached
       reconstructions, plus LeCam / R1 when configured). The discriminator steps
       from ``adversarial_loss.discriminator_start``; once it does, the generator
       steps every ``discriminator_steps``-th iteration.

    Logged: every reconstruction term and ``loss`` (their sum), ``gan_weight`` (the
    ramp), ``adaptive_weight``, ``loss_disc``, ``disc_logits_real``,
    ``disc_logits_fake``, ``disc_accuracy`` (real > 0 and fake < 0; near 1.0 for long
    means the discriminator has won, near 0.5 that it has collapsed), ``loss_lecam``,
    ``loss_r1``.

    Args:
        discriminator: config (or module) of e.g. ``StyleGANDiscriminator``,
            ``PatchGANDiscriminator`` or ``PerFrameDiscriminator`` (video).
        adversarial_loss: options of :class:`~vitok_mm.models.losses.AdversarialLoss`.
        trainable: prefixes of the tokenizer parameters that train (default: the
            decoder). Every other one (``encoder.*``, ``bottleneck.*``) is frozen: no
            gradient, not in the optimizer, not wrapped by DDP, so it stays bitwise
            unchanged.
        discriminator_steps: discriminator updates per generator update.
        update_order: ``('generator', 'discriminator')`` or the reverse.
        **kwargs: :class:`ViTok`'s arguments.
    """

    def __init__(self, discriminator: Union[dict, nn.Module], adversarial_loss: dict = None,
                 trainable: Sequence[str] = ('decoder', ), discriminator_steps: int = 1,
                 update_order: Sequence[str] = ('generator', 'discriminator'), **kwargs):
        super().__init__(**kwargs)
        if tuple(update_order) not in UPDATE_ORDERS:
            raise ValueError(f'update_order must be one of {UPDATE_ORDERS}, got '
                             f'{tuple(update_order)}.')
        if discriminator_steps < 1:
            raise ValueError(f'discriminator_steps must be >= 1, got {discriminator_steps}.')
        self.update_order = tuple(update_order)
        self.discriminator_steps = discriminator_steps
        self.trainable = tuple(trainable)
        self._freeze_all_but(self.trainable)
        self.discriminator = (MODELS.build(discriminator) if isinstance(discriminator, dict)
                              else discriminator)
        adversarial_loss = dict(type='AdversarialLoss', **(adversarial_loss or {}))
        self.adversarial_loss = MODELS.build(adversarial_loss)
        if self.adversarial_loss.use_adaptive_weight and not self.decoder.last_layer.requires_grad:
            raise ValueError(
                f'the adaptive GAN weight is measured at the decoder\'s output layer, which '
                f'trainable={self.trainable} freezes; add "decoder.pixel_head" to trainable '
                'or set adversarial_loss.adaptive_weight=False.')

    def _freeze_all_but(self, prefixes: Tuple[str, ...]) -> None:
        names = [name for name, _ in self.named_parameters()]
        for prefix in prefixes:
            if not any(n == prefix or n.startswith(prefix + '.') for n in names):
                tops = sorted({n.split('.')[0] for n in names})
                raise ValueError(f'trainable prefix {prefix!r} matches no parameter; '
                                 f'top-level parts are {tops}.')
        for name, parameter in self.named_parameters():
            keep = any(name == p or name.startswith(p + '.') for p in prefixes)
            parameter.requires_grad_(keep)
        self.frozen_children = [name for name, child in self.named_children()
                                if any(True for _ in child.parameters())
                                and not any(p.requires_grad for p in child.parameters())]

    def train(self, mode: bool = True):
        super().train(mode)
        for name in getattr(self, 'frozen_children', ()):
            getattr(self, name).eval()  # frozen parts always run as at inference
        return self

    @property
    def encoder_frozen(self) -> bool:
        return not any(p.requires_grad for m in (self.encoder, self.bottleneck)
                       for p in m.parameters())

    # ----------------------------------------------------------------- training step
    def train_step(self, data: Union[dict, tuple, list],
                   optim_wrapper: OptimWrapperDict) -> Dict[str, torch.Tensor]:
        if not (isinstance(optim_wrapper, OptimWrapperDict)
                and {'generator', 'discriminator'} <= set(optim_wrapper.keys())):
            raise ValueError(
                'ViTokGAN trains with generator and discriminator optimizers: set '
                "optim_wrapper=dict(constructor='GANOptimWrapperConstructor', "
                'generator=dict(...), discriminator=dict(...)).')
        generator_wrapper = optim_wrapper['generator']
        discriminator_wrapper = optim_wrapper['discriminator']
        for name, wrapper in (('generator', generator_wrapper),
                              ('discriminator', discriminator_wrapper)):
            if getattr(wrapper, '_accumulative_counts', 1) != 1:
                raise ValueError(f'{name} accumulative_counts must be 1 in stage 2 (GAN '
                                 'steps alternate every batch); raise the batch size instead.')
        iteration = current_iteration()
        adversarial = self.adversarial_loss
        train_discriminator = adversarial.discriminator_active(iteration)
        train_generator = (not train_discriminator or
                           (iteration - adversarial.discriminator_start + 1)
                           % self.discriminator_steps == 0)

        inputs = self.data_preprocessor(data, True)['inputs']
        with generator_wrapper.optim_context(self):
            with torch.set_grad_enabled(not self.encoder_frozen):
                posterior = self.encode(inputs)
                z = posterior.sample() if self.sample_posterior else posterior.mode()
            with torch.set_grad_enabled(train_generator):
                recon = self.decode(z)

        log_vars = {}
        for step in self.update_order:
            if step == 'generator' and train_generator:
                log_vars.update(self._generator_step(inputs, recon, posterior, iteration,
                                                     generator_wrapper))
            elif step == 'discriminator' and train_discriminator:
                log_vars.update(self._discriminator_step(inputs, recon.detach(), iteration,
                                                         discriminator_wrapper))
        return log_vars

    def _generator_step(self, inputs, recon, posterior, iteration, wrapper) -> dict:
        adversarial = self.adversarial_loss
        weight = adversarial.generator_weight(iteration)
        with wrapper.optim_context(self):
            terms = self.reconstruction_losses(recon, inputs, posterior)
            extra = dict(gan_weight=torch.tensor(weight))
            if weight > 0:
                discriminator = unwrap(self.discriminator)
                with no_parameter_grads(discriminator):
                    fake_logits = discriminator(recon)
                with torch.autocast(device_type=inputs.device.type, enabled=False):
                    gan = adversarial.generator_loss(fake_logits.float())
                    scale = torch.ones(())
                    if adversarial.use_adaptive_weight:
                        scale = adversarial.adaptive_weight(
                            sum(terms.values()), gan, unwrap(self.decoder).last_layer)
                        extra['adaptive_weight'] = scale
                    terms['loss_gan'] = weight * scale * gan
            loss, log_vars = self.parse_losses(terms)
        wrapper.update_params(loss)
        log_vars.update({k: v.detach() for k, v in extra.items()})
        return log_vars

    def _discriminator_step(self, inputs, fake, iteration, wrapper) -> dict:
        adversarial = self.adversarial_loss
        discriminator = unwrap(self.discriminator)
        with_r1 = adversarial.r1_due(iteration)
        real = inputs.detach().float().requires_grad_(with_r1)
        with wrapper.optim_context(self.discriminator):
            # Separate passes: batch statistics (minibatch std, BatchNorm) must see real
            # and fake apart, as the generator step's fake-only pass does.
            real_logits = self.discriminator(real)
            fake_logits = self.discriminator(fake.float())
            with torch.autocast(device_type=inputs.device.type, enabled=False):
                real_logits, fake_logits = real_logits.float(), fake_logits.float()
                terms = dict(loss_disc=adversarial.discriminator_loss(real_logits, fake_logits))
                # LeCam pulls towards the running means including this batch.
                discriminator.update_logit_ema(real_logits.mean(), fake_logits.mean(),
                                               adversarial.lecam_decay)
                if adversarial.lecam_weight > 0:
                    ema_real, ema_fake = discriminator.logit_ema.clone().unbind()
                    terms['loss_lecam'] = adversarial.lecam_weight * lecam_regularizer(
                        real_logits, fake_logits, ema_real, ema_fake)
                if with_r1:
                    terms['loss_r1'] = adversarial.r1(real_logits, real)
        publish_loss_terms(terms)
        wrapper.update_params(sum(terms.values()))
        real_logits, fake_logits = real_logits.detach(), fake_logits.detach()
        accuracy = 0.5 * ((real_logits > 0).float().mean() + (fake_logits < 0).float().mean())
        log_vars = {k: v.detach() for k, v in terms.items()}
        log_vars.update(disc_logits_real=real_logits.mean(), disc_logits_fake=fake_logits.mean(),
                        disc_accuracy=accuracy)
        return log_vars
