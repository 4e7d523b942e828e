"""Other libraries' VAEs as baselines: a random-weight diffusers AutoencoderKL, saved with
diffusers' own save_pretrained and served by the loopback Hub under an index name, is a
Tokenizer whose reconstructions equal diffusers' own, at any size; its latents carry the
library's scaling; a gated repository and a missing diffusers are one-line errors."""
import sys
import textwrap
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from vitok_mm.apis import Tokenizer
from vitok_mm.apis import model_index as index
from vitok_mm.apis.pretrained import latent_size
from vitok_mm.utils.download import DownloadError

diffusers = pytest.importorskip('diffusers')
REPO = Path(__file__).resolve().parents[2]
HUB_REPO = 'someone/tiny-vae'
SCALE, SHIFT = 0.5, 0.1


def tiny_vae():
    torch.manual_seed(0)
    return diffusers.AutoencoderKL(
        down_block_types=('DownEncoderBlock2D', ) * 4, up_block_types=('UpDecoderBlock2D', ) * 4,
        block_out_channels=(8, 8, 16, 16), layers_per_block=1, latent_channels=4,
        norm_num_groups=4, scaling_factor=SCALE, shift_factor=SHIFT).eval()


@pytest.fixture
def served(tmp_path, loopback_hub, monkeypatch):
    """A diffusers VAE folder (diffusers' save_pretrained) in ``vae/`` of a loopback Hub
    repository, named ``tiny-vae`` by a model index in tmp_path."""
    vae = tiny_vae()
    vae.save_pretrained(str(tmp_path / 'saved'))
    for path in (tmp_path / 'saved').iterdir():
        loopback_hub.add_repo_file(HUB_REPO, f'vae/{path.name}', path.read_bytes())
    root = tmp_path / 'index'
    (root / 'configs' / 'baselines').mkdir(parents=True)
    (root / 'configs' / 'baselines' / 'tiny-vae.py').write_text(
        (REPO / 'configs/baselines/sd-vae-ft-mse.py').read_text())
    (root / 'configs' / 'baselines' / 'metafile.yml').write_text(textwrap.dedent(f'''
        Models:
          - Name: tiny-vae
            Config: configs/baselines/tiny-vae.py
            Weights: hf://{HUB_REPO}
            Weights Format: diffusers
            Subfolder: vae
    '''))
    monkeypatch.setattr(index, 'index_root', lambda: str(root))
    return loopback_hub, vae


def pixels(*size, seed=1) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.rand(3, *size, generator=g) * 2 - 1


def test_reconstruct_equals_diffusers_own_and_latents_carry_its_scaling(served):
    _, vae = served
    tok = Tokenizer.from_pretrained('tiny-vae')
    assert type(tok.model).__name__ == 'DiffusersAutoencoder'
    assert tok.patch_size == 8 and tok.model.latent_channels == 4
    x = pixels(32, 48)
    with torch.no_grad():
        mode = vae.encode(x[None]).latent_dist.mode()
        expected = vae.decode(mode).sample.clamp(-1, 1)[0]
    torch.testing.assert_close(tok.reconstruct(x), expected, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(tok.encode(x), (mode - SHIFT) * SCALE, atol=1e-6, rtol=1e-6)
    assert latent_size(tok.model, (256, 256)) == (1024, 4096)  # tokens, E per 256x256
    # The fingerprint is the downloaded weights file's.
    assert len(tok.fingerprint) == 64


def test_any_size_is_padded_to_a_multiple_of_8_and_cropped_back(served):
    _, vae = served
    tok = Tokenizer.from_pretrained('tiny-vae')
    x = pixels(37, 50, seed=2)
    out = tok.reconstruct(x)
    assert out.shape == x.shape
    padded = F.pad(x[None], (0, 6, 0, 3), mode='reflect')  # 40 x 56
    with torch.no_grad():
        expected = vae.decode(vae.encode(padded).latent_dist.mode()).sample.clamp(-1, 1)
    torch.testing.assert_close(out, expected[0, :, :37, :50], atol=1e-5, rtol=1e-5)


def test_a_gated_repository_is_one_line_naming_hf_token(served):
    server, _ = served
    server.gate(HUB_REPO)
    with pytest.raises(DownloadError, match=r'hf://someone/tiny-vae is gated: .* set HF_TOKEN'):
        Tokenizer.from_pretrained('tiny-vae')


def test_without_diffusers_the_error_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, 'diffusers', None)
    with pytest.raises(ImportError, match=r"pip install 'vitok_mm\[diffusers\]'"):
        Tokenizer.from_pretrained(str(REPO / 'configs/baselines/sd-vae_random.py'))


def test_the_index_names_the_baselines_and_a_config_alone_says_how_to_get_weights():
    names = index.list_models()
    assert {'sd-vae-ft-mse', 'sdxl-vae', 'flux-vae', 'qwen-image-vae'} <= set(names)
    flux = index.find_model('flux-vae')
    assert flux.weights_format == 'diffusers' and flux.subfolder == 'vae'
    with pytest.raises(ValueError, match=r"load it by its name \(Tokenizer.from_pretrained\("
                                         r"'sd-vae-ft-mse'\)"):
        Tokenizer.from_pretrained(str(REPO / 'configs/baselines/sd-vae-ft-mse.py'))


def test_random_weights_build_the_sd_vae_layout():
    tok = Tokenizer.from_pretrained(str(REPO / 'configs/baselines/sd-vae_random.py'))
    params = sum(p.numel() for p in tok.model.parameters())
    assert 80e6 < params < 90e6  # diffusers' SD layout, quant convs included: 83.7 M
    assert tok.encode(pixels(16, 24)).shape == (1, 4, 2, 3)
