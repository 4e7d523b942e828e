"""ViTokGAN's training step: what trains, what stays frozen, in which order, and logs."""
import pytest
import torch
from mmengine.logging import MessageHub
from mmengine.optim import OptimWrapperDict

from tests.conftest import tiny_vitok_config
from vitok_mm.engine import GANOptimWrapperConstructor
from vitok_mm.registry import MODELS


def gan_config(**options) -> dict:
    cfg = tiny_vitok_config(patch_size=8)
    cfg.update(type='ViTokGAN', losses=[dict(type='L1Loss'), dict(type='KLLoss')],
               discriminator=dict(type='StyleGANDiscriminator', image_size=32,
                                  base_channels=8, max_channels=16),
               adversarial_loss=dict(loss_weight=0.5, generator_start=0,
                                     discriminator_start=0, lecam_weight=0.1))
    for key, value in options.items():
        if isinstance(value, dict) and isinstance(cfg.get(key), dict):
            cfg[key] = dict(cfg[key], **value)
        else:
            cfg[key] = value
    return cfg


def wrappers(model, **generator) -> OptimWrapperDict:
    return GANOptimWrapperConstructor(dict(
        generator=dict(type='GuardedOptimWrapper',
                       optimizer=dict(type='AdamW', lr=1e-3, weight_decay=0.1), **generator),
        discriminator=dict(type='GuardedOptimWrapper',
                           optimizer=dict(type='AdamW', lr=1e-3))))(model)


def batch(n: int = 4) -> dict:
    torch.manual_seed(1)
    return dict(inputs=[torch.randint(0, 256, (3, 32, 32), dtype=torch.uint8)
                        for _ in range(n)])


def set_iteration(i: int) -> None:
    MessageHub.get_current_instance().update_info('iter', i)


def snapshot(module) -> dict:
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


def changed(before: dict, module) -> set:
    return {k for k, v in module.state_dict().items() if not torch.equal(before[k], v)}


def test_stage2_freezes_the_encoder_bitwise_and_trains_decoder_and_discriminator():
    torch.manual_seed(0)
    model = MODELS.build(gan_config())
    optim = wrappers(model)
    generator_params = {id(p) for g in optim['generator'].optimizer.param_groups
                        for p in g['params']}
    assert generator_params == {id(p) for p in model.decoder.parameters()}
    assert {id(p) for g in optim['discriminator'].optimizer.param_groups
            for p in g['params']} == {id(p) for p in model.discriminator.parameters()}
    encoder, bottleneck = snapshot(model.encoder), snapshot(model.bottleneck)
    decoder, discriminator = snapshot(model.decoder), snapshot(model.discriminator)
    model.train()
    for i in range(3):
        set_iteration(i)
        log = model.train_step(batch(), optim)
    assert not changed(encoder, model.encoder) and not changed(bottleneck, model.bottleneck)
    assert changed(decoder, model.decoder) == set(decoder)  # weight decay would move the rest
    assert {'from_pixels.weight', 'out.weight', 'logit_ema'} <= changed(
        discriminator, model.discriminator)
    assert all(not p.requires_grad for p in model.encoder.parameters())
    assert not model.encoder.training  # frozen parts run as at inference
    for key in ('loss', 'loss_l1', 'loss_kl', 'loss_gan', 'gan_weight', 'adaptive_weight',
                'loss_disc', 'loss_lecam', 'disc_logits_real', 'disc_logits_fake',
                'disc_accuracy'):
        assert key in log, key
    assert 0 <= float(log['disc_accuracy']) <= 1 and float(log['gan_weight']) == 0.5


def test_updates_follow_the_configured_order():
    for order in (('generator', 'discriminator'), ('discriminator', 'generator')):
        model = MODELS.build(gan_config(update_order=order))
        optim = wrappers(model)
        calls = []
        for name in ('generator', 'discriminator'):
            wrapper = optim[name]
            original = wrapper.update_params
            wrapper.update_params = (lambda loss, n=name, f=original, log=calls, **kw:
                                     (log.append(n), f(loss, **kw)))
        set_iteration(0)
        model.train_step(batch(), optim)
        assert tuple(calls) == order


def test_schedule_gates_the_discriminator_and_the_gan_term():
    model = MODELS.build(gan_config(adversarial_loss=dict(
        generator_start=4, warmup_iters=2, discriminator_start=2)))
    optim = wrappers(model)
    d_before = snapshot(model.discriminator)
    logs = []
    for i in range(6):
        set_iteration(i)
        logs.append(model.train_step(batch(), optim))
        if i == 1:
            assert not changed(d_before, model.discriminator)  # D starts at iteration 2
    assert ['loss_disc' in log for log in logs] == [False, False, True, True, True, True]
    assert ['loss_gan' in log for log in logs] == [False] * 4 + [True] * 2
    assert [float(log['gan_weight']) for log in logs] == pytest.approx(
        [0, 0, 0, 0, 0.25, 0.5])


def test_discriminator_steps_per_generator_step():
    model = MODELS.build(gan_config(discriminator_steps=2, adversarial_loss=dict(
        discriminator_start=1)))
    optim = wrappers(model)
    trained = []
    for i in range(6):
        set_iteration(i)
        trained.append('loss_l1' in model.train_step(batch(), optim))
    # Every iteration before D starts; then every 2nd discriminator iteration.
    assert trained == [True, False, True, False, True, False]


def test_r1_is_applied_on_its_interval():
    model = MODELS.build(gan_config(adversarial_loss=dict(r1_weight=1.0, r1_interval=2)))
    optim = wrappers(model)
    has_r1 = []
    for i in range(4):
        set_iteration(i)
        has_r1.append('loss_r1' in model.train_step(batch(), optim))
    assert has_r1 == [True, False, True, False]


def test_bad_setups_name_the_fix():
    with pytest.raises(ValueError, match="trainable prefix 'decodr' matches no parameter"):
        MODELS.build(gan_config(trainable=('decodr', )))
    with pytest.raises(ValueError, match='update_order must be one of'):
        MODELS.build(gan_config(update_order=('generator', )))
    model = MODELS.build(gan_config())
    from mmengine.optim import OptimWrapper
    single = OptimWrapper(torch.optim.SGD(model.decoder.parameters(), lr=0.1))
    with pytest.raises(ValueError, match="constructor='GANOptimWrapperConstructor'"):
        model.train_step(batch(), single)
    with pytest.raises(ValueError, match='accumulative_counts must be 1'):
        model.train_step(batch(), wrappers(model, accumulative_counts=2))
    with pytest.raises(ValueError, match='needs exactly the entries'):
        GANOptimWrapperConstructor(dict(generator=dict()))
    with pytest.raises(ValueError, match='has no discriminator'):
        GANOptimWrapperConstructor(dict(generator={}, discriminator={}))(
            MODELS.build(tiny_vitok_config()))


def test_trainable_prefixes_can_unfreeze_more():
    model = MODELS.build(gan_config(trainable=('decoder', 'bottleneck')))
    optim = wrappers(model)
    bottleneck = snapshot(model.bottleneck)
    set_iteration(0)
    model.train_step(batch(), optim)
    assert changed(bottleneck, model.bottleneck)
    assert all(not p.requires_grad for p in model.encoder.parameters())


@pytest.mark.parametrize('sample', [True, False])
def test_frozen_posterior_is_sampled_or_its_mean_used(sample):
    model = MODELS.build(gan_config(sample_posterior=sample))
    optim = wrappers(model)
    seen = []
    decode = model.decode
    model.decode = lambda z: (seen.append(z.detach().clone()), decode(z))[1]
    set_iteration(0)
    data = batch()
    model.train_step(data, optim)
    inputs = model.data_preprocessor(data, True)['inputs']
    with torch.no_grad():
        mean = model.encode(inputs).mode()
    assert torch.equal(seen[0], mean) != sample


def test_discriminator_sees_real_and_fake_in_separate_batches():
    """Batch statistics (minibatch std, BatchNorm) must never mix real with fake."""
    model = MODELS.build(gan_config())
    optim = wrappers(model)
    seen = []
    model.discriminator.register_forward_hook(lambda m, args, out: seen.append(args[0]))
    set_iteration(0)
    data = batch()
    model.train_step(data, optim)
    real = model.data_preprocessor(data, True)['inputs']
    assert [len(x) for x in seen] == [4, 4, 4]  # G step (fake), D step (real), D step (fake)
    assert torch.equal(seen[1], real) and not torch.equal(seen[2], real)


def test_adaptive_weight_needs_a_trainable_output_layer():
    with pytest.raises(ValueError, match='add "decoder.pixel_head" to trainable'):
        MODELS.build(gan_config(trainable=('decoder.transformer', )))
    model = MODELS.build(gan_config(trainable=('decoder.transformer', ),
                                    adversarial_loss=dict(adaptive_weight=False)))
    assert not model.decoder.last_layer.requires_grad
