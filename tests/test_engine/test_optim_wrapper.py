import pytest
import torch
from mmengine.logging import MessageHub
from torch import nn

from vitok_mm.engine import GuardedOptimWrapper, NonFiniteError
from vitok_mm.utils.loss_terms import publish_loss_terms, published_loss_terms


def _wrapper(model, **kwargs):
    return GuardedOptimWrapper(optimizer=torch.optim.SGD(model.parameters(), lr=1.0), **kwargs)


def _at_iteration(iteration):
    MessageHub.get_current_instance().update_info('iter', iteration)


def test_nonfinite_loss_raises_naming_iteration_and_terms():
    model = nn.Linear(3, 1)
    before = model.weight.detach().clone()
    wrapper = _wrapper(model)
    _at_iteration(41)
    terms = {'loss_l1': torch.tensor(0.5), 'loss_lpips': torch.tensor(float('nan'))}
    publish_loss_terms(terms)
    loss = model(torch.ones(1, 3)).sum() * terms['loss_lpips']
    with pytest.raises(NonFiniteError, match=r'Non-finite loss at iteration 42: loss_lpips=nan\.'):
        wrapper.update_params(loss)
    assert torch.equal(model.weight, before)


def test_skip_policy_drops_the_step_and_counts_it():
    model = nn.Linear(3, 1)
    wrapper = _wrapper(model, nonfinite='skip')
    before = model.weight.detach().clone()
    publish_loss_terms({'loss_l1': torch.tensor(float('inf'))})
    wrapper.update_params(model(torch.ones(1, 3)).sum() * float('inf'))
    assert torch.equal(model.weight, before)
    assert wrapper.num_skipped == 1
    assert wrapper.state_dict()['nonfinite_skipped'] == 1
    # A finite step afterwards trains as usual.
    wrapper.update_params(model(torch.ones(1, 3)).sum())
    assert not torch.equal(model.weight, before)


def test_nonfinite_gradient_with_finite_loss_is_caught():
    model = nn.Linear(3, 1)
    model.weight.register_hook(lambda grad: grad * float('nan'))
    wrapper = _wrapper(model)
    publish_loss_terms({'loss_l1': torch.tensor(1.0)})
    with pytest.raises(NonFiniteError, match='Non-finite gradient'):
        wrapper.update_params(model(torch.ones(1, 3)).sum())


def test_gradient_clipping_happens_after_backward():
    """SGD with lr=1: the update equals the clipped gradient, whose norm is max_norm."""
    model = nn.Linear(4, 1, bias=False)
    before = model.weight.detach().clone()
    wrapper = _wrapper(model, clip_grad=dict(max_norm=0.5))
    wrapper.update_params(model(torch.full((1, 4), 10.0)).sum())
    step = (before - model.weight.detach()).norm()
    assert abs(step.item() - 0.5) < 1e-5


def test_bf16_autocast_on_cpu_and_bad_arguments():
    model = nn.Linear(8, 8)
    wrapper = _wrapper(model, dtype='bfloat16')
    with wrapper.optim_context(model):
        assert model(torch.randn(2, 8)).dtype == torch.bfloat16
    with _wrapper(model).optim_context(model):
        assert model(torch.randn(2, 8)).dtype == torch.float32
    with pytest.raises(ValueError, match="dtype must be one of"):
        _wrapper(model, dtype='int8')
    with pytest.raises(ValueError, match="nonfinite must be one of"):
        _wrapper(model, nonfinite='ignore')


def test_accumulation_steps_once_per_k_batches():
    model = nn.Linear(2, 1)
    wrapper = _wrapper(model, accumulative_counts=2)
    wrapper.initialize_count_status(model, 0, 4)
    before = model.weight.detach().clone()
    wrapper.update_params(model(torch.ones(1, 2)).sum())
    assert torch.equal(model.weight, before)
    wrapper.update_params(model(torch.ones(1, 2)).sum())
    assert not torch.equal(model.weight, before)


def test_loss_terms_travel_through_message_hub_but_not_into_checkpoints():
    """The model publishes, the wrapper reads; the hub's saved state leaves them out."""
    from vitok_mm.registry import MODELS
    from vitok_mm.utils import register_all_modules
    register_all_modules(init_default_scope=False)
    model = MODELS.build(dict(
        type='ViTok', patch_size=4,
        encoder=dict(type='ViTEncoder', width=16, depth=1, num_heads=2),
        bottleneck=dict(type='GaussianBottleneck', latent_channels=4),
        decoder=dict(type='ViTDecoder', width=16, depth=1, num_heads=2),
        losses=[dict(type='L1Loss'), dict(type='KLLoss', loss_weight=1e-6)]))
    terms = model.loss(torch.rand(2, 3, 8, 8) * 2 - 1)
    model.parse_losses(terms)
    published = published_loss_terms()
    assert set(published) == {'loss_l1', 'loss_kl'}
    assert torch.equal(published['loss_l1'], terms['loss_l1'].detach())
    assert 'loss_terms' not in MessageHub.get_current_instance().state_dict()['runtime_info']
