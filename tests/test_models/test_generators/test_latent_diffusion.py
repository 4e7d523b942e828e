"""LatentDiffusion's choice of solver: one rule for validation, ``sample`` and final
sampling (``tools/sample_dit.py``)."""
import pytest
from mmengine.registry import DefaultScope

from vitok_mm.models.diffusion import DDIM, DDPM, Euler, Heun
from vitok_mm.registry import MODELS
from vitok_mm.utils import register_all_modules


def tiny(diffusion: str, solver=None):
    register_all_modules(init_default_scope=False)
    with DefaultScope.overwrite_default_scope('vitok_mm'):
        return MODELS.build(dict(
            type='LatentDiffusion', latent_shape=(4, 2, 2), num_classes=3,
            generator=dict(type='DiT', size=None, width=24, depth=1, num_heads=2),
            diffusion=dict(type=diffusion), solver=solver))


@pytest.mark.parametrize('diffusion, own, final', [
    ('GaussianDiffusion', (DDPM, 250), (DDPM, 250)),
    ('FlowMatching', (Heun, 50), (Heun, 50)),
])
def test_defaults(diffusion, own, final):
    model = tiny(diffusion)
    for solver, (kind, steps) in ((model.choose_solver(), own),
                                  (model.choose_solver(final=True), final)):
        assert type(solver) is kind and solver.num_steps == steps


def test_validation_ddim_gives_way_to_ddpm_250_for_final_sampling_only():
    model = tiny('GaussianDiffusion', dict(type='DDIM', num_steps=50))
    assert model.choose_solver() is model.solver and type(model.solver) is DDIM
    final = model.choose_solver(final=True)
    assert type(final) is DDPM and final.num_steps == 250
    # Steps alone keep the default's kind; a name alone its default steps.
    assert type(model.choose_solver(num_steps=10)) is DDIM
    assert model.choose_solver(num_steps=10).num_steps == 10
    assert model.choose_solver(num_steps=100, final=True).num_steps == 100
    assert type(model.choose_solver(num_steps=100, final=True)) is DDPM
    euler = model.choose_solver('euler', 7)
    assert type(euler) is Euler and euler.num_steps == 7


def test_flow_keeps_its_configured_solver_for_final_sampling():
    model = tiny('FlowMatching', dict(type='Euler', num_steps=20))
    final = model.choose_solver(final=True)
    assert type(final) is Euler and final.num_steps == 20
