"""Released ViTok-v2 weights in vitok_mm: random-weight safetensors with the released key
names and shapes are converted, loaded strictly into our components, and give the
latents and reconstructions of an independent re-implementation of the v2 math
(tests/v2_reference.py, plain torch on the v2 keys) to 1e-4 in fp32, for non-square
images alone and in a packed batch at native aspect ratios. The nine configs match the
nine releases' key/shape tables; converter errors name what is wrong."""
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from mmengine.config import Config

from tests import v2_reference as ref
from vitok_mm.analysis import build_on_meta
from vitok_mm.apis import Tokenizer
from vitok_mm.apis.convert_vitok_v2 import convert_v2, v2_key_map
from vitok_mm.models.builder import build_model
from vitok_mm.models.vitok_v2 import V2_RELEASES, parse_v2_variant, v2_model_config
from vitok_mm.utils import register_all_modules

REPO = Path(__file__).resolve().parents[2]
# 350M's towers (1024 wide, 16 heads, SwiGLU 2736, p=16, c=16) with fewer blocks.
SHALLOW_350M = 'w1024_d2_h16-w1024_d3_h16/1x16x16'
# A narrow variant for the many-case tests: 128 wide, 2 heads of 64, p=8, c=8.
NARROW = 'w128_d2_h2-w128_d3_h2/1x8x8'


def release(tmp_path, variant, dtype=torch.float32, seed=0):
    """Random released-format files of ``variant``, converted: (weights, checkpoint)."""
    enc, dec = ref.v2_state_dicts(variant, seed=seed, dtype=dtype)
    folder = tmp_path / f'release_{seed}'
    folder.mkdir()
    from safetensors.torch import save_file
    save_file(enc, str(folder / 'encoder.safetensors'))
    save_file(dec, str(folder / 'decoder.safetensors'))
    out = tmp_path / f'converted_{seed}.pth'
    convert_v2(str(folder / 'encoder.safetensors'), str(folder / 'decoder.safetensors'),
               variant, str(out))
    return (enc, dec), str(out)


def our_tokenizer(variant, checkpoint, **options) -> Tokenizer:
    register_all_modules()
    model = build_model(v2_model_config(variant), checkpoint)
    return Tokenizer(model, pad_mode='zeros', **options)


def images():
    """Two real photos cropped non-square, in [-1, 1], sizes off the patch grid."""
    from skimage import data
    photos = [data.astronaut()[100:148, 150:222], data.coffee()[60:101, 40:135]]
    return [torch.from_numpy(p.copy()).permute(2, 0, 1).float() / 127.5 - 1 for p in photos]


@pytest.mark.parametrize('variant', [SHALLOW_350M, NARROW])
def test_converted_weights_reproduce_v2_latents_and_reconstructions(tmp_path, variant):
    (enc, dec), checkpoint = release(tmp_path, variant)
    tok = our_tokenizer(variant, checkpoint)
    for image in images():  # 48x72 and 41x95: padded with zeros to the patch grid
        expected_z = ref.v2_latents(enc, variant, [image])[0]
        z = tok.encode(image)[0]
        assert z.shape == expected_z.shape
        torch.testing.assert_close(z, expected_z, atol=1e-4, rtol=0)
        expected = ref.v2_reconstruct(enc, dec, variant, [image])[0].clamp(-1, 1)
        torch.testing.assert_close(tok.reconstruct(image), expected, atol=1e-4, rtol=0)


def test_a_packed_batch_at_native_aspect_ratios_matches_v2(tmp_path):
    """Images of different sizes in one batch (v2's NaFlex: token sequences padded and
    masked), each image shrunk to a token budget as v2 does, decoded back to its size."""
    (enc, dec), checkpoint = release(tmp_path, NARROW)
    tok = our_tokenizer(NARROW, checkpoint, packed=True, max_tokens=40, batch_size=4)
    batch = images() + [images()[0][:, :17, :30]]
    expected = ref.v2_reconstruct(enc, dec, NARROW, batch, max_tokens=40, resize=True)
    expected_z = ref.v2_latents(enc, NARROW, batch, max_tokens=40, resize=True)
    for z, want in zip(tok.encode(batch), expected_z):
        torch.testing.assert_close(z, want, atol=1e-4, rtol=0)
    for out, want in zip(tok.reconstruct(batch), expected):
        assert out.shape == want.shape
        torch.testing.assert_close(out, want.clamp(-1, 1), atol=1e-4, rtol=0)


def test_half_precision_releases_convert(tmp_path):
    (enc, dec), checkpoint = release(tmp_path, NARROW, dtype=torch.bfloat16)
    state = torch.load(checkpoint, weights_only=True)['state_dict']
    assert all(t.dtype == torch.float32 for t in state.values())
    tok = our_tokenizer(NARROW, checkpoint)
    image = images()[0]
    enc32 = {k: v.float() for k, v in enc.items()}
    torch.testing.assert_close(tok.encode(image)[0], ref.v2_latents(enc32, NARROW, [image])[0],
                               atol=1e-4, rtol=0)


@pytest.mark.parametrize('name', list(V2_RELEASES))
def test_each_config_matches_its_release(name):
    """configs/vitok_v2/<release>.py builds (on the meta device) the model whose state dict
    is the release's keys and shapes, mapped; its variant is the release's."""
    register_all_modules()
    cfg = Config.fromfile(str(REPO / 'configs' / 'vitok_v2' / f'{name.lower()}.py'))
    expected_model = v2_model_config(name)
    assert {k: v for k, v in cfg.model.items() if k != 'data_preprocessor'} == expected_model
    assert parse_v2_variant(name).name == ref.V2_RELEASES[name]
    model = build_on_meta(cfg.model)
    ours = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    enc, dec = ref.v2_param_shapes(ref.V2_RELEASES[name])
    mapped = {v2_key_map(k): tuple(shape) for k, shape in {**enc, **dec}.items()}
    assert ours == mapped
    n_enc, n_dec = ref.v2_param_counts(ref.V2_RELEASES[name])
    assert sum(v.numel() for k, v in model.state_dict().items()
               if k.startswith('decoder')) == n_dec


def test_converter_names_what_is_wrong(tmp_path):
    (enc, dec), _ = release(tmp_path, NARROW)
    from safetensors.torch import save_file
    folder = tmp_path / 'broken'
    folder.mkdir()
    enc = dict(enc)
    del enc['encoder_blocks.1.attn.norm_q.weight']
    enc['to_code.weight'] = torch.zeros(9, 128)
    enc['extra.weight'] = torch.zeros(1)
    save_file(enc, str(folder / 'encoder.safetensors'))
    save_file(dec, str(folder / 'decoder.safetensors'))
    with pytest.raises(ValueError) as error:
        convert_v2(str(folder / 'encoder.safetensors'), str(folder / 'decoder.safetensors'),
                   NARROW, str(tmp_path / 'x.pth'))
    message = str(error.value)
    assert message.startswith(f'{folder / "encoder.safetensors"} does not hold the weights of '
                              f'ViTok-v2 variant {NARROW}: ')
    assert '1 missing: encoder_blocks.1.attn.norm_q.weight' in message
    assert '1 unexpected: extra.weight' in message
    assert '1 misshapen: to_code.weight (9, 128) (expected (8, 128))' in message
    assert not (tmp_path / 'x.pth').exists()
    # A decoder of the deeper tower given for a shallower variant: unexpected blocks.
    with pytest.raises(ValueError, match=r'8 unexpected: decoder_blocks\.2\.'):
        convert_v2(str(tmp_path / 'release_0' / 'encoder.safetensors'),
                   str(tmp_path / 'release_0' / 'decoder.safetensors'),
                   'w128_d2_h2-w128_d2_h2/1x8x8', str(tmp_path / 'y.pth'))


def test_the_converter_tool_answers_in_one_line(tmp_path):
    release(tmp_path, NARROW)
    tool = [sys.executable, 'tools/model_converters/vitok_v2_to_vitok_mm.py']
    done = subprocess.run(tool + [str(tmp_path / 'release_0'), '--variant', NARROW,
                                  '--out', str(tmp_path / 'ok.pth')],
                          cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert f'ViTok-v2 {NARROW}:' in done.stdout and (tmp_path / 'ok.pth').is_file()
    bad = subprocess.run(tool + [str(tmp_path / 'release_0'), '--variant', '350M-f16x8',
                                 '--out', str(tmp_path / 'no.pth')],
                         cwd=REPO, capture_output=True, text=True, timeout=300)
    assert bad.returncode == 1
    assert bad.stderr.startswith("error: unknown ViTok-v2 variant '350M-f16x8'")
    assert '350M-f16x16' in bad.stderr and len(bad.stderr.strip().splitlines()) == 1
    wrong = subprocess.run(tool + [str(tmp_path / 'release_0'), '--variant', '350M-f16x16',
                                   '--out', str(tmp_path / 'no.pth')],
                           cwd=REPO, capture_output=True, text=True, timeout=300)
    assert wrong.returncode == 1 and 'misshapen: patch_embed.weight (128, 192)' in wrong.stderr


def test_a_converted_release_loads_by_config_and_checkpoint(tmp_path):
    """Through the public path: the checkpoint is read weights-only and strictly into the
    config's model, and the config's tokenizer defaults (zero padding, packed) apply."""
    _, checkpoint = release(tmp_path, NARROW)
    config = tmp_path / 'narrow.py'
    config.write_text(f"_base_ = '{REPO / 'configs/_base_/models/vitok_v2_350m.py'}'\n"
                      f'model = {v2_model_config(NARROW)!r}\n')
    tok = Tokenizer.from_pretrained(str(config), checkpoint)
    assert tok.packed and tok.pad_mode == 'zeros'
    assert torch.load(checkpoint, weights_only=True)['meta']['variant'] == NARROW


def test_the_model_index_lists_the_nine_releases_on_the_hub(tmp_path, monkeypatch):
    """Each release is named by its Hub repository and variant; offline and with nothing
    cached, asking for one is one line naming the repository, the files and the command
    that fetches them."""
    from vitok_mm.apis import find_model, list_models
    names = list_models('vitok-v2-')
    assert sorted(names) == sorted(f'vitok-v2-{r.lower()}' for r in V2_RELEASES)
    for release, (repo, _) in V2_RELEASES.items():
        entry = find_model(f'vitok-v2-{release.lower()}')
        assert entry.config == str(REPO / f'configs/vitok_v2/{release.lower()}.py')
        assert (entry.weights, entry.weights_format, entry.variant) == (
            f'hf://{repo}', 'vitok-v2', release)
    import huggingface_hub.constants
    monkeypatch.setattr(huggingface_hub.constants, 'HF_HUB_CACHE', str(tmp_path / 'hf'))
    monkeypatch.setenv('VITOK_MM_OFFLINE', '1')
    with pytest.raises(FileNotFoundError) as error:
        Tokenizer.from_pretrained('vitok-v2-5b-f32x128')
    assert str(error.value) == (
        'vitok-v2-5b-f32x128: encoder.safetensors, decoder.safetensors of '
        'hf://philippehansen/ViTok-v2-5B-f32x128 are not in the Hugging Face cache and '
        'downloads are off (VITOK_MM_OFFLINE=1). Fetch them with `hf download '
        'philippehansen/ViTok-v2-5B-f32x128 encoder.safetensors decoder.safetensors` (on a '
        'networked machine, then copy its HF_HOME here).')


@pytest.mark.parametrize('variant', ['Ld4-Ld24/1x16x16', 'Td4-T/1x32x256', 'B/16x32',
                                     'Bw512d6h8m4-L/1x8x4', 'w256_d3_h4_m2-Gd2/1x16x8',
                                     'E/1x32x64'])
def test_variant_names_parse_as_v2_parses_them(variant):
    ours, theirs = parse_v2_variant(variant), ref.parse_v2_variant(variant)
    for tower in ('encoder', 'decoder'):
        got = getattr(ours, tower)
        assert (got.width, got.depth, got.num_heads) == tuple(
            theirs[f'{tower}_{key}'] for key in ('width', 'depth', 'heads'))
    assert ours.mlp_factor == theirs['mlp_factor']
    assert (ours.patch_size, ours.latent_channels) == (theirs['patch'], theirs['channels'])


@pytest.mark.parametrize('variant, message', [
    ('Xd4-L/1x16x16', "cannot read the tower 'Xd4'"),
    ('Ld4-Ld24/2x16x16', 'temporal stride 2; only image variants'),
    ('Ld4-Ld24', 'expected "<enc>-<dec>/'),
    ('5B-f16x8', "unknown ViTok-v2 variant '5B-f16x8'"),
])
def test_bad_variant_names_are_refused_by_name(variant, message):
    with pytest.raises(ValueError, match=message):
        parse_v2_variant(variant)
