"""vitok_mm.apis.Tokenizer on the micro fixture (patch 4, 16x16 training size): each input
kind round trips as its own kind, any size is padded and cropped back exactly, batching
equals one by one, and bad checkpoints or inputs are refused by name."""
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image

from tests.test_apis.test_inference import DATA, MICRO_CHECKPOINT, MICRO_CONFIG
from vitok_mm.apis import Tokenizer
from vitok_mm.apis.tokenizer import _reflect_pad
from vitok_mm.datasets import CorruptSampleError
from vitok_mm.utils import CheckpointError


@pytest.fixture(scope='module')
def tok():
    return Tokenizer.from_pretrained(MICRO_CONFIG, MICRO_CHECKPOINT, batch_size=3)


def image(h, w, seed=0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)


def test_reconstruct_equals_the_model_on_a_patch_multiple(tok):
    x = torch.rand(2, 3, 16, 16) * 2 - 1
    expected = tok.model.reconstruct(x).clamp(-1, 1)
    torch.testing.assert_close(tok.reconstruct(x), expected)
    z = tok.encode(x)
    assert z.shape == (2, 4, 4, 4)
    torch.testing.assert_close(tok.decode(z), expected)


def test_each_kind_comes_back_as_its_kind(tok, tmp_path):
    array = image(16, 16)
    path = tmp_path / 'a.png'
    Image.fromarray(array).save(path)
    tensor = torch.from_numpy(array).permute(2, 0, 1).float() / 127.5 - 1
    out = tok.reconstruct([str(path), Image.fromarray(array), array, tensor])
    assert isinstance(out[0], Image.Image) and isinstance(out[1], Image.Image)
    assert isinstance(out[2], np.ndarray) and out[2].dtype == np.uint8
    assert out[2].shape == (16, 16, 3)
    assert isinstance(out[3], torch.Tensor) and out[3].shape == (3, 16, 16)
    # Every kind is the same picture: the same reconstruction.
    assert np.array_equal(np.asarray(out[0]), out[2])
    assert np.array_equal(np.asarray(out[1]), out[2])
    from_tensor = ((out[3] + 1) * 127.5).round().clamp(0, 255).byte().permute(1, 2, 0)
    assert np.array_equal(from_tensor.numpy(), out[2])


@pytest.mark.parametrize('h, w', [(1, 1), (3, 5), (17, 9), (16, 16), (21, 30)])
@pytest.mark.parametrize('pad_mode', ['reflect', 'zeros'])
def test_any_size_is_padded_and_cropped_back(h, w, pad_mode):
    tok = Tokenizer.from_pretrained(MICRO_CONFIG, MICRO_CHECKPOINT, pad_mode=pad_mode)
    x = torch.rand(3, h, w) * 2 - 1
    out = tok.reconstruct(x)
    assert out.shape == (3, h, w)
    ph, pw = -(-h // 4) * 4, -(-w // 4) * 4
    z = tok.encode(x)
    assert z.shape == (1, 4, ph // 4, pw // 4)
    # The crop of the padded input's reconstruction, exactly.
    if pad_mode == 'zeros':
        padded = F.pad(x[None], (0, pw - w, 0, ph - h))
    else:
        padded = _reflect_pad(x[None], (0, pw - w, 0, ph - h))
    expected = tok.model.reconstruct(padded).clamp(-1, 1)[0, :, :h, :w]
    torch.testing.assert_close(out, expected)


def test_reflect_padding_of_any_amount_mirrors():
    row = torch.tensor([[[[1.0, 2.0, 3.0]]]])
    assert _reflect_pad(row, (0, 5, 0, 0)).flatten().tolist() == [1, 2, 3, 2, 1, 2, 3, 2]
    one = torch.tensor([[[[7.0]]]])
    assert _reflect_pad(one, (0, 3, 0, 2)).shape == (1, 1, 3, 4)
    assert (_reflect_pad(one, (0, 3, 0, 2)) == 7).all()


def test_batching_by_size_equals_one_by_one(tok):
    inputs = [image(16, 16, 1), image(9, 13, 2), image(16, 16, 3), image(16, 16, 4),
              image(9, 13, 5), image(16, 16, 6)]
    together = tok.reconstruct(inputs)
    for item, out in zip(inputs, together):
        assert np.array_equal(tok.reconstruct(item), out)
    latents = tok.encode(inputs)
    assert isinstance(latents, list) and latents[1].shape == (4, 3, 4)


def test_posterior_and_bf16(tok):
    x = torch.rand(2, 3, 16, 16) * 2 - 1
    posterior = tok.encode(x, return_posterior=True)
    torch.testing.assert_close(posterior.mean, tok.encode(x))
    assert (posterior.std > 0).all()
    g = torch.Generator().manual_seed(0)
    assert tok.encode(x, sample=True, generator=g).shape == (2, 4, 4, 4)
    bf16 = Tokenizer(tok.model, dtype=torch.bfloat16)
    assert (bf16.reconstruct(x) - tok.reconstruct(x)).abs().mean() < 0.05


def test_bad_inputs_and_checkpoints_are_named(tok, tmp_path):
    with pytest.raises(ValueError, match=r'must be uint8 \(H, W, 3\), got float64'):
        tok.encode(np.zeros((4, 4, 3)))
    with pytest.raises(ValueError, match=r'tensor input must be \(3, H, W\)'):
        tok.encode(torch.zeros(4, 8, 8))
    with pytest.raises(ValueError, match='unsupported input of type int'):
        tok.encode(3)
    bad = tmp_path / 'bad.png'
    bad.write_bytes(b'not a png')
    with pytest.raises(CorruptSampleError, match=f'cannot decode {bad}'):
        tok.reconstruct([str(bad)])
    with pytest.raises(ValueError, match="pad_mode='edge'"):
        Tokenizer(tok.model, pad_mode='edge')
    # A crafted pickle that would run code is refused, naming the callable.
    crafted = tmp_path / 'crafted.pth'

    class Exploit:
        def __reduce__(self):
            return (print, ('pwned', ))

    torch.save({'state_dict': {}, 'x': Exploit()}, crafted)
    with pytest.raises(CheckpointError, match='print'):
        Tokenizer.from_pretrained(MICRO_CONFIG, str(crafted))
    with pytest.raises(FileNotFoundError, match='missing.pth does not exist'):
        Tokenizer.from_pretrained(MICRO_CONFIG, str(DATA / 'missing.pth'))


def test_video_clips_of_any_length_and_size():
    """A video tokenizer (4x8x8 tubelets): T, H and W are padded and cropped back; a
    uint8 (T, H, W, 3) clip comes back as one."""
    from vitok_mm.apis import load_inference_config
    repo = Path(__file__).resolve().parents[2]
    cfg = load_inference_config(str(repo / 'configs/quickstart/vitok_tiny_video.py'), {
        'model.encoder.width': 24, 'model.encoder.depth': 1, 'model.encoder.num_heads': 2,
        'model.decoder.width': 24, 'model.decoder.depth': 1, 'model.decoder.num_heads': 2})
    torch.manual_seed(0)
    tok = Tokenizer.from_pretrained(cfg)
    clip = torch.rand(3, 5, 9, 12) * 2 - 1
    out = tok.reconstruct(clip)
    assert out.shape == (3, 5, 9, 12)
    padded = _reflect_pad(clip[None], (0, 4, 0, 7, 0, 3))
    assert padded.shape == (1, 3, 8, 16, 16)
    expected = tok.model.reconstruct(padded).clamp(-1, 1)[0, :, :5, :9, :12]
    torch.testing.assert_close(out, expected)
    assert tok.encode(clip).shape == (1, 64, 2, 2, 2)
    frames = np.random.default_rng(0).integers(0, 256, (4, 8, 8, 3), dtype=np.uint8)
    again = tok.reconstruct(frames)
    assert isinstance(again, np.ndarray) and again.shape == (4, 8, 8, 3)


def test_packed_batches_of_mixed_sizes_equal_grouped_ones():
    """packed=True puts inputs of different sizes in one batch (NaFlex); each result equals
    the one of inputs grouped by size, for encode, decode and reconstruct."""
    from vitok_mm.apis import build_inference_model, load_inference_config
    # The micro model has a learned position table, which packing refuses: RoPE only.
    torch.manual_seed(0)
    model = build_inference_model(load_inference_config(
        MICRO_CONFIG, {'model.encoder.abs_pos_embed': None}))
    packed = Tokenizer(model, batch_size=3, packed=True, pad_mode='zeros')
    grouped = Tokenizer(model, batch_size=3, pad_mode='zeros')
    images = [image(13, 21, 0), image(8, 8, 1), image(13, 21, 2), image(5, 30, 3)]
    packed_z, grouped_z = packed.encode(images), grouped.encode(images)
    for a, b in zip(packed_z, grouped_z):
        torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-5)
    for a, b in zip(packed.decode(packed_z, [(13, 21), (8, 8), (13, 21), (5, 30)]),
                    grouped.decode(grouped_z, [(13, 21), (8, 8), (13, 21), (5, 30)])):
        assert a.shape == b.shape
        torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-5)
    for a, b in zip(packed.reconstruct(images), grouped.reconstruct(images)):
        assert a.shape == b.shape and np.abs(a.astype(int) - b.astype(int)).max() <= 1
    with pytest.raises(ValueError, match='return_posterior needs inputs of one size'):
        packed.encode(images[:2], return_posterior=True)
