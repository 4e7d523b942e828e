"""The SD-VAE baseline: why it is skipped, and the adapter to ViTok's interface.

diffusers is optional and not installed in the test environment: a stand-in module
plays ``diffusers`` where one is needed.
"""
import sys
import types
from types import SimpleNamespace

import pytest
import torch
from mmengine.config import Config
from torch import nn

from vitok_mm.analysis import (
    SD_VAE_LAYOUT,
    Complexity,
    DiffusersVAE,
    build_candidates,
    build_sd_vae,
    count_complexity,
    sd_vae_params_note,
    sd_vae_skip_reason,
)

from ..conftest import tiny_vitok_config


class FakeAutoencoderKL(nn.Module):
    """diffusers' ``AutoencoderKL`` interface on two convolutions: ``encode(x).latent_dist``
    with ``.mode()``, ``decode(z).sample``; records its constructor arguments."""
    built = []

    def __init__(self, **kwargs):
        super().__init__()
        FakeAutoencoderKL.built.append(kwargs)
        self.encoder = nn.Conv2d(3, 4, 8, stride=8)
        self.decoder = nn.ConvTranspose2d(4, 3, 8, stride=8)

    def encode(self, x):
        mean = self.encoder(x)
        return SimpleNamespace(latent_dist=SimpleNamespace(mode=lambda: mean))

    def decode(self, z):
        return SimpleNamespace(sample=self.decoder(z))


@pytest.fixture
def fake_diffusers(monkeypatch):
    module = types.ModuleType('diffusers')
    module.AutoencoderKL = FakeAutoencoderKL
    monkeypatch.setitem(sys.modules, 'diffusers', module)
    FakeAutoencoderKL.built.clear()
    return module


@pytest.fixture
def no_diffusers(monkeypatch):
    monkeypatch.setitem(sys.modules, 'diffusers', None)  # import raises ImportError


def test_skip_messages_without_diffusers(no_diffusers):
    assert sd_vae_skip_reason((3, 64, 64), no_sd_vae=True) == 'skipped (--no-sd-vae)'
    assert sd_vae_skip_reason((3, 64, 64)) == (
        'skipped: diffusers is not installed; install it with `pip install -e .[bench]`')


def test_skip_messages_with_diffusers(fake_diffusers):
    assert sd_vae_skip_reason((3, 64, 64), no_sd_vae=True) == 'skipped (--no-sd-vae)'
    assert sd_vae_skip_reason((3, 16, 128, 128)) == (
        'skipped: the SD-VAE is an image model and the input is video (3x16x128x128)')
    assert sd_vae_skip_reason((3, 60, 64)) == (
        'skipped: its H and W must be multiples of 8, got (60, 64)')
    assert sd_vae_skip_reason((3, 64, 36)) == (
        'skipped: its H and W must be multiples of 8, got (64, 36)')
    assert sd_vae_skip_reason((3, 64, 128)) is None


def test_build_sd_vae_uses_sd_layout_and_the_adapter_speaks_vitok(fake_diffusers):
    vae = build_sd_vae((64, 128))
    assert isinstance(vae, DiffusersVAE)
    assert FakeAutoencoderKL.built == [dict(SD_VAE_LAYOUT, sample_size=128)]
    assert SD_VAE_LAYOUT['block_out_channels'] == (128, 256, 512, 512)
    x = torch.randn(2, 3, 64, 128)
    latent = vae.encode(x).mode()
    assert latent.shape == (2, 4, 8, 16)
    torch.testing.assert_close(latent, vae.vae.encoder(x))
    assert vae.decode(latent).shape == x.shape
    note = sd_vae_params_note(vae)
    encoder = sum(p.numel() for p in vae.vae.encoder.parameters()) / 1e6
    assert note.startswith('SD-VAE params as built: ')
    assert f'(encoder {encoder:.1f} M,' in note and note.endswith('lists 59.3 M.')


def test_build_sd_vae_without_diffusers_raises_import_error(no_diffusers):
    with pytest.raises(ImportError):
        build_sd_vae((64, 64))


def test_build_candidates_adds_the_sd_vae_counted_like_vitok(fake_diffusers):
    cfg = Config(dict(model=tiny_vitok_config()))
    complexity = Complexity(params=1, macs=1, macs_by_module={})
    candidates, skipped = build_candidates(cfg, complexity, (3, 16, 16), torch.device('cpu'))
    assert skipped is None
    assert [c.name for c in candidates] == ['ViTok', 'SD-VAE']
    sd_vae = candidates[1]
    expected = count_complexity(DiffusersVAE(FakeAutoencoderKL()), (3, 16, 16))
    assert sd_vae.complexity.macs == expected.macs > 0
    assert sd_vae.complexity.params == expected.params
    assert not sd_vae.model.training
