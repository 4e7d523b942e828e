"""The save format: ``Tokenizer.save_pretrained`` writes config.py, model.safetensors,
vitok.json and README.md; ``from_pretrained`` of that folder (or of it uploaded to the
loopback Hub) gives an equal model, strictly and weights-only; a folder with a missing or
foreign ``model.safetensors`` is one line naming it; ``vitok-mm save-pretrained`` does it
from the shell."""
import copy
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from mmengine.logging import HistoryBuffer

from vitok_mm.apis import Tokenizer
from vitok_mm.apis.pretrained import latent_size
from vitok_mm.utils import CheckpointError
from vitok_mm.utils.safetensors_io import read_header, save_safetensors

REPO = Path(__file__).resolve().parents[2]
CONFIG = str(REPO / 'tests/data/micro_vitok.py')
CHECKPOINT = str(REPO / 'tests/data/micro_vitok_iter_2.pth')
FILES = ['README.md', 'config.py', 'model.safetensors', 'vitok.json']


def image():
    from skimage import data
    return torch.from_numpy(data.astronaut()[100:130, 150:190].copy()).permute(2, 0, 1) \
        .float() / 127.5 - 1


@pytest.fixture
def checkpoint_with_metrics(tmp_path):
    """The micro checkpoint with the validation metrics a run's message hub keeps."""
    checkpoint = torch.load(CHECKPOINT, weights_only=False)
    scalars = {'val/psnr': HistoryBuffer(), 'train/loss': HistoryBuffer()}
    for value in (20.5, 23.25):
        scalars['val/psnr'].update(value)
    scalars['train/loss'].update(0.1)
    checkpoint['message_hub'] = dict(log_scalars=scalars, runtime_info={}, resumed_keys={})
    path = tmp_path / 'iter_2.pth'
    torch.save(checkpoint, path)
    return str(path)


def test_save_then_load_gives_an_equal_model(tmp_path, checkpoint_with_metrics):
    tok = Tokenizer.from_pretrained(CONFIG, checkpoint_with_metrics)
    info = tok.save_pretrained(str(tmp_path / 'saved'))
    assert sorted(os.listdir(tmp_path / 'saved')) == FILES
    loaded = Tokenizer.from_pretrained(str(tmp_path / 'saved'))
    ours, theirs = tok.model.state_dict(), loaded.model.state_dict()
    assert ours.keys() == theirs.keys()
    assert all(torch.equal(ours[k], theirs[k]) for k in ours)
    assert torch.equal(tok.reconstruct(image()), loaded.reconstruct(image()))
    # Latents encoded by the checkpoint decode with the folder: the same fingerprint.
    assert loaded.fingerprint == tok.fingerprint == info['fingerprint']
    assert read_header(str(tmp_path / 'saved/model.safetensors'))[1]['fingerprint'] \
        == tok.fingerprint
    with open(tmp_path / 'saved/vitok.json') as f:
        recorded = json.load(f)
    assert recorded == info
    assert (recorded['patch_size'], recorded['tubelet_size'], recorded['latent_channels']) \
        == (4, None, 4)
    # 256x256 at patch 4: 64 x 64 tokens of 4 channels.
    assert (recorded['tokens'], recorded['E']) == (4096, 16384)
    assert recorded['metrics'] == {'val/psnr': 23.25}  # the last value, validation only
    assert recorded['source_checkpoint'] == checkpoint_with_metrics
    card = (tmp_path / 'saved/README.md').read_text()
    assert '| E (floats per 256x256 image) | 16384 |' in card and '| val/psnr | 23.25 |' in card


def test_a_repository_config_records_its_training_command(tmp_path):
    tok = Tokenizer.from_pretrained('configs/quickstart/vitok_tiny_64p.py')  # random weights
    info = tok.save_pretrained(str(tmp_path / 'tiny'), metrics={'psnr': 26.0})
    assert info['config'] == 'configs/quickstart/vitok_tiny_64p.py'
    assert info['training_command'] == 'python tools/train.py configs/quickstart/vitok_tiny_64p.py'
    assert (info['tokens'], info['E']) == (32 * 32, 32 * 32 * 32)  # patch 8, 32 channels
    assert info['metrics'] == {'psnr': 26.0}
    assert 'Trained with `python tools/train.py configs/quickstart/vitok_tiny_64p.py`' in \
        (tmp_path / 'tiny/README.md').read_text()
    loaded = Tokenizer.from_pretrained(str(tmp_path / 'tiny'))
    assert torch.equal(loaded.encode(image()), tok.encode(image()))


def test_video_tokenizers_record_a_clip(tmp_path):
    from vitok_mm.apis.inference import load_inference_config
    from vitok_mm.models.builder import build_model
    model = build_model(load_inference_config(
        str(REPO / 'configs/quickstart/vitok_tiny_video.py')).model)
    tokens, floats = latent_size(model, (16, 128, 128))
    p, q, c = model.patch_size, model.tubelet_size, model.latent_channels
    assert (tokens, floats) == (16 // q * (128 // p) ** 2, 16 // q * (128 // p) ** 2 * c)


def test_bf16_loading_converts_and_fp32_loading_maps_the_file(tmp_path):
    tok = Tokenizer.from_pretrained(CONFIG, CHECKPOINT)
    tok.save_pretrained(str(tmp_path / 'saved'))
    half = Tokenizer.from_pretrained(str(tmp_path / 'saved'), dtype=torch.bfloat16)
    assert {p.dtype for p in half.model.parameters()} == {torch.bfloat16}
    out = half.reconstruct(image())
    assert out.dtype == torch.float32
    assert (out - tok.reconstruct(image())).abs().mean() < 0.02
    # A bf16 folder loads as float32 by default (the inputs are float32).
    half.save_pretrained(str(tmp_path / 'half'))
    assert read_header(str(tmp_path / 'half/model.safetensors'))[0][
        'decoder.pixel_head.proj.weight'].dtype == torch.bfloat16
    full = Tokenizer.from_pretrained(str(tmp_path / 'half'))
    assert {p.dtype for p in full.model.parameters()} == {torch.float32}
    upcast = Tokenizer(copy.deepcopy(half.model).float())
    assert torch.equal(full.reconstruct(image()), upcast.reconstruct(image()))


def test_a_folder_without_weights_is_one_line_naming_them(tmp_path):
    tok = Tokenizer.from_pretrained(CONFIG, CHECKPOINT)
    tok.save_pretrained(str(tmp_path / 'saved'))
    os.remove(tmp_path / 'saved/model.safetensors')
    with pytest.raises(FileNotFoundError) as error:
        Tokenizer.from_pretrained(str(tmp_path / 'saved'))
    assert str(error.value) == (
        f'{tmp_path / "saved"} has no model.safetensors: a saved tokenizer folder holds '
        'config.py, model.safetensors, vitok.json (written by Tokenizer.save_pretrained or '
        '`vitok-mm save-pretrained`).')


def test_a_foreign_or_broken_model_file_is_refused_naming_it(tmp_path):
    tok = Tokenizer.from_pretrained(CONFIG, CHECKPOINT)
    tok.save_pretrained(str(tmp_path / 'saved'))
    weights = tmp_path / 'saved/model.safetensors'
    other = Tokenizer.from_pretrained('configs/quickstart/vitok_tiny_64p.py')
    save_safetensors(other.model.state_dict(), str(weights))
    with pytest.raises(CheckpointError, match=rf'^{weights} does not fit ViTok: missing keys '
                                              r'.*unexpected keys .*Is it a checkpoint of this '
                                              r'config\?$'):
        Tokenizer.from_pretrained(str(tmp_path / 'saved'))
    weights.write_bytes(b'\x10\x00\x00\x00\x00\x00\x00\x00{"a": "pickle?"}')
    with pytest.raises(ValueError, match=rf'^{weights}: tensor .a. has a header entry'):
        Tokenizer.from_pretrained(str(tmp_path / 'saved'))
    full = (tmp_path / 'full.safetensors')
    save_safetensors(tok.model.state_dict(), str(full))
    weights.write_bytes(full.read_bytes()[:-100])
    with pytest.raises(ValueError, match=rf'^{weights} is cut short: its tensors end at byte'):
        Tokenizer.from_pretrained(str(tmp_path / 'saved'))


def test_a_folder_uploaded_to_the_hub_loads_by_its_hf_name(tmp_path, loopback_hub):
    tok = Tokenizer.from_pretrained(CONFIG, CHECKPOINT)
    tok.save_pretrained(str(tmp_path / 'saved'))
    for name in FILES:
        loopback_hub.add_repo_file('someone/micro-tokenizer', name,
                                   (tmp_path / 'saved' / name).read_bytes())
    loaded = Tokenizer.from_pretrained('hf://someone/micro-tokenizer')
    assert torch.equal(loaded.reconstruct(image()), tok.reconstruct(image()))
    assert loaded.fingerprint == tok.fingerprint
    with pytest.raises(ValueError, match=r"'hf://someone' is not a Hub repository"):
        Tokenizer.from_pretrained('hf://someone')


def test_the_cli_saves_a_folder(tmp_path):
    tool = [str(Path(sys.executable).parent / 'vitok-mm'), 'save-pretrained']
    done = subprocess.run(tool + [CONFIG, CHECKPOINT, '--out', str(tmp_path / 'cli')],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f'{tmp_path / "cli"}: 0.0 M parameters (float32), patch 4, '
                                  '4 channels, 4096 tokens and E = 16384 per 256x256 image')
    assert sorted(os.listdir(tmp_path / 'cli')) == FILES
    missing = subprocess.run(tool + [CONFIG, str(tmp_path / 'nope.pth'), '--out',
                                     str(tmp_path / 'x')], capture_output=True, text=True,
                             timeout=300)
    assert missing.returncode == 1
    assert missing.stderr.strip() == f'error: checkpoint {tmp_path / "nope.pth"} does not exist.'
