import pytest
import torch

from tests.conftest import TINY_TOWER, tiny_vitok_config
from vitok_mm.models import ViTok, parse_variant, variant_config
from vitok_mm.registry import MODELS

PAPER_VARIANTS = ['S-B/16', 'S-L/16', 'B-B/16', 'L-L/16', 'S-B/8', 'S-B/4x8', 'S-B/8x8',
                  'S-B/4x16']


def tiny(name: str, **options) -> dict:
    """The variant's config with its towers shrunk to TINY_TOWER (patch sizes kept)."""
    cfg = variant_config(name, latent_channels=4, **options)
    cfg['encoder'].update(TINY_TOWER)
    cfg['decoder'].update(TINY_TOWER)
    return cfg


@pytest.mark.parametrize('name', PAPER_VARIANTS)
def test_every_variant_reconstructs_with_input_shape(name):
    variant = parse_variant(name)
    model = MODELS.build(tiny(name)).eval()
    p, q = variant.patch_size, variant.tubelet_size
    shape = (2, 3, 2 * p, 3 * p) if q is None else (1, 3, 2 * q, 2 * p, p)
    x = torch.rand(shape) * 2 - 1
    with torch.no_grad():
        posterior = model.encode(x)
        recon = model(x)
    grid = model.latent_info(shape).grid
    assert posterior.mean.shape == (shape[0], 4, *grid)
    assert recon.shape == x.shape
    assert torch.isfinite(recon).all()


def test_latent_info_reports_e():
    model = MODELS.build(tiny('S-B/16'))
    info = model.latent_info((3, 256, 256))
    assert (info.grid, info.tokens, info.channels, info.E) == ((16, 16), 256, 4, 1024)
    video = MODELS.build(tiny('S-B/4x8'))
    assert video.latent_info((1, 3, 16, 128, 128)).E == 4 * 16 * 16 * 4


def test_trained_size_runs_at_larger_resolution():
    """Positions come from the actual grid, so a 2x larger input works (RoPE and learned)."""
    for options in ({}, dict(abs_pos_embed='learned', base_grid=(2, 2)),
                    dict(abs_pos_embed='sincos', rope=False)):
        model = MODELS.build(tiny_vitok_config(**options)).eval()
        with torch.no_grad():
            assert model(torch.rand(1, 3, 16, 16)).shape == (1, 3, 16, 16)
            assert model(torch.rand(1, 3, 32, 48)).shape == (1, 3, 32, 48)


def test_eval_decodes_mean_and_training_samples():
    model = MODELS.build(tiny_vitok_config())
    x = torch.rand(2, 3, 16, 16) * 2 - 1
    model.eval()
    with torch.no_grad():
        first, second = model(x), model(x)
        expected = model.decode(model.encode(x).mean)
    assert torch.equal(first, second)
    torch.testing.assert_close(first, expected)
    model.train()
    with torch.no_grad():
        assert not torch.allclose(model(x), model(x))
    model.sample_posterior = False
    with torch.no_grad():
        torch.testing.assert_close(model(x), expected)


def test_gradients_reach_every_parameter():
    model = MODELS.build(tiny_vitok_config(qk_norm=True)).train()
    x = torch.rand(2, 3, 16, 16) * 2 - 1
    (model(x) - x).abs().mean().backward()
    missing = [n for n, p in model.named_parameters() if p.grad is None or not p.grad.any()]
    assert missing == []


def test_grad_checkpointing_gives_same_gradients():
    torch.manual_seed(0)
    plain = MODELS.build(tiny_vitok_config(depth=2))
    checkpointed = MODELS.build(tiny_vitok_config(depth=2, grad_checkpointing=True))
    checkpointed.load_state_dict(plain.state_dict())
    x = torch.rand(2, 3, 16, 16)
    for model in (plain, checkpointed):
        model.sample_posterior = False
        model.train()
        (model(x) - x).square().mean().backward()
    for (name, a), (_, b) in zip(plain.named_parameters(), checkpointed.named_parameters()):
        torch.testing.assert_close(a.grad, b.grad, msg=name)


@pytest.mark.parametrize('options', [
    dict(norm_type='layernorm'), dict(mlp_type='gelu'), dict(mlp_type='geglu'),
    dict(qk_norm=True), dict(abs_pos_embed='sincos'), dict(attn_backend='math'),
    dict(abs_pos_embed='learned', base_grid=(2, 2)),
])
def test_block_options_build_and_run(options):
    model = MODELS.build(tiny_vitok_config(**options)).eval()
    with torch.no_grad():
        assert model(torch.rand(1, 3, 16, 16)).shape == (1, 3, 16, 16)


def test_deterministic_bottleneck_from_config():
    cfg = tiny_vitok_config()
    cfg['bottleneck'] = dict(type='DeterministicBottleneck', latent_channels=3, norm=True)
    model = MODELS.build(cfg)
    assert model.decoder.latent_channels == 3
    assert model(torch.rand(1, 3, 16, 16)).shape == (1, 3, 16, 16)


def test_bf16_autocast_forward_on_cpu():
    model = MODELS.build(tiny_vitok_config()).eval()
    x = torch.rand(2, 3, 16, 16) * 2 - 1
    with torch.no_grad():
        ref = model(x)
        with torch.autocast('cpu', dtype=torch.bfloat16):
            out = model(x)
    assert out.dtype == torch.bfloat16
    assert torch.isfinite(out).all()
    rel = (out.float() - ref).norm() / ref.norm()
    assert rel < 0.05, rel


def test_tower_sizes_are_independent():
    cfg = tiny_vitok_config()
    cfg['decoder'].update(width=64, depth=2, num_heads=4)
    model = MODELS.build(cfg)
    assert model.encoder.width == 48 and model.decoder.width == 64
    assert len(model.decoder.transformer.blocks) == 2


# ----------------------------------------------------------------------------- bad input


@pytest.mark.parametrize('name, message', [
    ('X-B/16', "Unknown tower size 'X' in variant 'X-B/16'; known sizes: S, B, L"),
    ('S-Q/16', "Unknown tower size 'Q'"),
    ('SB16', 'Cannot parse ViTok variant'),
    ('S-B/4x', 'Cannot parse ViTok variant'),
    ('S-B/0', 'must be positive'),
])
def test_bad_variant_names(name, message):
    with pytest.raises(ValueError, match=message.replace('(', r'\(').replace('/', '/')):
        variant_config(name)


def test_bad_input_sizes():
    image = MODELS.build(tiny_vitok_config(patch_size=8))
    with pytest.raises(ValueError, match=r'input H=20 is not divisible by the patch_size p=8'):
        image(torch.rand(1, 3, 20, 16))
    with pytest.raises(ValueError, match=r'takes images \(N, C, H, W\).*For video set tubelet'):
        image(torch.rand(1, 3, 4, 16, 16))
    video = MODELS.build(tiny_vitok_config(patch_size=8, tubelet_size=4))
    with pytest.raises(ValueError, match=r'input T=6 is not divisible by the tubelet_size q=4'):
        video(torch.rand(1, 3, 6, 16, 16))
    with pytest.raises(ValueError, match=r'takes videos \(N, C, T, H, W\)'):
        video(torch.rand(1, 3, 16, 16))
    with pytest.raises(ValueError, match=r'latents \(N, c, h, w\) with c=4'):
        image.decode(torch.rand(1, 5, 2, 2))


@pytest.mark.parametrize('tower, message', [
    (dict(width=50, num_heads=4), 'width 50 is not divisible by num_heads 4'),
    (dict(width=42, num_heads=2), 'head_dim=21 is odd'),
    (dict(width=40, num_heads=4), 'head_dim=10 is too small for 3D rotary embedding'),
    (dict(norm_type='batchnorm'), "Unknown norm_type 'batchnorm'"),
    (dict(mlp_type='relu'), "Unknown mlp_type 'relu'"),
    (dict(abs_pos_embed='learned'), "abs_pos_embed='learned' needs base_grid"),
    (dict(abs_pos_embed='rope'), "Unknown abs_pos_embed 'rope'"),
])
def test_bad_tower_options(tower, message):
    with pytest.raises(ValueError, match=message):
        MODELS.build(tiny_vitok_config(tubelet_size=2, **tower))


def test_mismatched_patch_sizes_between_towers():
    cfg = tiny_vitok_config(patch_size=8)
    cfg['decoder']['patch_size'] = 16
    with pytest.raises(ValueError, match='its decoder has patch_size=16'):
        MODELS.build(cfg)


def test_loss_mode_is_not_silently_accepted():
    model = MODELS.build(tiny_vitok_config())
    with pytest.raises(ValueError, match="Unknown mode 'train'"):
        model(torch.rand(1, 3, 16, 16), mode='train')


def test_vitok_is_an_mmengine_base_model():
    from mmengine.model import BaseModel
    model = MODELS.build(tiny_vitok_config())
    assert isinstance(model, (ViTok, BaseModel))
    assert {'encoder', 'bottleneck', 'decoder'} <= {name for name, _ in model.named_children()}
    assert hasattr(model.encoder, 'patch_embed') and hasattr(model.decoder, 'pixel_head')
