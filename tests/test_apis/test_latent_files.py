"""`vitok-mm encode` / `decode`: one .safetensors per input (latent, source size,
tokenizer fingerprint), decoding gives back exactly what `reconstruct` gives, latents of
another tokenizer and broken latent files are refused by name; videos (FFV1 .mkv) the
same way, a clip shorter than one tubelet listed as failed."""
import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from tests.test_apis.test_inference import MICRO_CHECKPOINT, MICRO_CONFIG
from vitok_mm.apis import Tokenizer
from vitok_mm.apis.video_io import read_video, write_video
from vitok_mm.cli import main
from vitok_mm.cli.latent_files import load_latent

REPO = Path(__file__).resolve().parents[2]


def photos(folder: Path) -> dict:
    from skimage import data
    images = {'a.png': data.astronaut()[::9, ::7][:37, :29],
              'nested/b.png': data.coffee()[::11, ::13][:20, :18]}
    for name, array in images.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(np.ascontiguousarray(array)).save(folder / name)
    return images


def test_encode_then_decode_equals_reconstruct(tmp_path, capsys):
    images = photos(tmp_path / 'in')
    code = main(['encode', MICRO_CONFIG, MICRO_CHECKPOINT, str(tmp_path / 'in'),
                 '--out', str(tmp_path / 'z'), '--no-progress'])
    assert code == 0
    record = load_latent(str(tmp_path / 'z' / 'a.safetensors'))
    assert record.latent.shape == (4, 10, 8)  # 37x29 padded to 40x32, patch 4
    assert record.source_size == (37, 29)
    expected = hashlib.sha256(Path(MICRO_CHECKPOINT).read_bytes()).hexdigest()
    assert record.fingerprint == expected and record.tokenizer == MICRO_CONFIG
    tok = Tokenizer.from_pretrained(MICRO_CONFIG, MICRO_CHECKPOINT)
    torch.testing.assert_close(record.latent[None], tok.encode(images['a.png']))

    assert main(['decode', MICRO_CONFIG, MICRO_CHECKPOINT, str(tmp_path / 'z'),
                 '--out', str(tmp_path / 'back'), '--no-progress']) == 0
    for name, array in images.items():
        decoded = np.asarray(Image.open(tmp_path / 'back' / name))
        assert np.array_equal(decoded, tok.reconstruct(array)), name
    assert 'decoded into' in capsys.readouterr().out


def test_decode_refuses_another_tokenizers_latents_and_broken_files(tmp_path, capsys):
    photos(tmp_path / 'in')
    assert main(['encode', MICRO_CONFIG, MICRO_CHECKPOINT, str(tmp_path / 'in' / 'a.png'),
                 '--out', str(tmp_path / 'z'), '--no-progress']) == 0
    (tmp_path / 'z' / 'cut.safetensors').write_bytes(
        (tmp_path / 'z' / 'a.safetensors').read_bytes()[:100])
    (tmp_path / 'z' / 'other.safetensors').write_bytes(b'\x08\x00\x00\x00\x00\x00\x00\x00{}      ')
    # The same config without the checkpoint: other (random) weights, another fingerprint.
    code = main(['decode', MICRO_CONFIG, str(tmp_path / 'z'), '--out', str(tmp_path / 'back'),
                 '--no-progress'])
    assert code == 1
    err = capsys.readouterr().err
    assert (f'failed: {tmp_path / "z" / "a.safetensors"}: {tmp_path / "z" / "a.safetensors"} '
            'was encoded by tokenizer ') in err
    assert 'decode it with the config and checkpoint that encoded it' in err
    assert f'{tmp_path / "z" / "cut.safetensors"} is not a readable safetensors file' in err
    assert 'is a safetensors file but not a latent written by `vitok-mm encode`' in err
    assert 'error: 3 of 3 input(s) failed' in err
    assert not (tmp_path / 'back' / 'a.png').exists()


@pytest.fixture(scope='module')
def video_config(tmp_path_factory) -> str:
    """The quick-start video tokenizer (4x8x8 tubelets) at micro width, random weights."""
    path = tmp_path_factory.mktemp('cfg') / 'micro_video.py'
    path.write_text(
        f"_base_ = '{REPO / 'configs/quickstart/vitok_tiny_video.py'}'\n"
        'model = dict(encoder=dict(width=24, depth=1, num_heads=2),\n'
        '             decoder=dict(width=24, depth=1, num_heads=2))\n')
    return str(path)


def test_videos_reconstruct_encode_and_decode(video_config, tmp_path, capsys):
    rng = np.random.default_rng(0)
    clip = rng.integers(0, 256, (10, 32, 40, 3), dtype=np.uint8)
    write_video(str(tmp_path / 'in' / 'clip.mkv'), clip, fps=10)
    write_video(str(tmp_path / 'in' / 'short.mkv'), clip[:3], fps=10)
    (tmp_path / 'in' / 'broken.mp4').write_bytes(b'\x00\x00\x00 ftypisom' + bytes(300))
    torch.manual_seed(0)
    code = main(['reconstruct', video_config, str(tmp_path / 'in'), '--out',
                 str(tmp_path / 'rec'), '--compare', '--chunk-frames', '8', '--no-progress'])
    assert code == 1
    err = capsys.readouterr().err
    assert (f'failed: {tmp_path / "in" / "short.mkv"}: 3 frame(s), shorter than one tubelet '
            '(4 frames)') in err
    assert f'failed: {tmp_path / "in" / "broken.mp4"}: decord cannot decode it' in err
    recon, fps = read_video(str(tmp_path / 'rec' / 'clip.mkv'))
    assert recon.shape == clip.shape and fps == pytest.approx(10)
    assert read_video(str(tmp_path / 'rec' / 'clip.compare.mkv'))[0].shape == (10, 32, 80, 3)
    summary = json.loads((tmp_path / 'rec' / 'summary.json').read_text())
    score = summary['files'][str(tmp_path / 'in' / 'clip.mkv')]
    mse = np.mean((recon.astype(float) - clip.astype(float)) ** 2, axis=(1, 2, 3))
    assert score['psnr'] == pytest.approx(np.mean(10 * np.log10(255 ** 2 / mse)), abs=1e-6)

    (tmp_path / 'in' / 'short.mkv').unlink()
    (tmp_path / 'in' / 'broken.mp4').unlink()
    # Random weights: encode and decode must build the same ones (same seed).
    torch.manual_seed(0)
    assert main(['encode', video_config, str(tmp_path / 'in'), '--out', str(tmp_path / 'z'),
                 '--no-progress']) == 0
    record = load_latent(str(tmp_path / 'z' / 'clip.safetensors'))
    assert record.latent.shape == (64, 3, 4, 5) and record.source_size == (10, 32, 40)
    torch.manual_seed(0)
    assert main(['decode', video_config, str(tmp_path / 'z'), '--out', str(tmp_path / 'back'),
                 '--no-progress']) == 0
    torch.manual_seed(0)
    tok = Tokenizer.from_pretrained(video_config)
    assert np.array_equal(read_video(str(tmp_path / 'back' / 'clip.mkv'))[0],
                          tok.reconstruct(clip))
