"""Large inputs through the Tokenizer: tiles blended linearly (exact for a patch-local map,
close to untiled for a tokenizer, less peak memory), clips in chunks of whole tubelets,
and resizing to a short side or a token budget instead of padding."""
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from tests.test_apis.test_inference import MICRO_CHECKPOINT, MICRO_CONFIG
from vitok_mm.apis import Tokenizer, load_inference_config
from vitok_mm.apis.tiling import blend_ramp, spatial_tiles, tile_starts, tiled_map

REPO = Path(__file__).resolve().parents[2]


def psnr(a: torch.Tensor, b: torch.Tensor) -> float:
    """PSNR of two [-1, 1] tensors (peak-to-peak 2)."""
    return float(10 * torch.log10(4 / ((a - b) ** 2).mean()))


def test_tile_starts_cover_the_axis_with_equal_tiles():
    assert tile_starts(10, 16, 12) == [0]
    assert tile_starts(40, 16, 12) == [0, 12, 24]
    assert tile_starts(41, 16, 12) == [0, 12, 24, 25]  # the last aligned to the end
    for size in range(16, 80):
        starts = tile_starts(size, 16, 12)
        assert starts[-1] + 16 == size and all(b - a <= 12 for a, b in zip(starts, starts[1:]))


def test_two_ramps_cross_fade_to_one():
    overlap = 6
    first, second = blend_ramp(16, 0, overlap), blend_ramp(16, overlap, 0)
    total = torch.zeros(26)
    total[:16] += first
    total[10:] += second
    torch.testing.assert_close(total, torch.ones(26))
    assert torch.all(torch.diff(second[:overlap]) > 0)  # rising linearly into the tile


@pytest.mark.parametrize('shape', [(2, 3, 40, 56), (1, 3, 16, 100), (1, 3, 5, 12, 36)])
def test_tiles_of_a_patch_local_map_blend_to_the_untiled_map(shape):
    """Encode-like (pool 4x4 patches) and decode-like (repeat each element 4x4) maps act
    patch by patch, so tiled and untiled must agree wherever tiles overlap."""
    torch.manual_seed(0)
    x = torch.randn(shape)

    def pool(t: torch.Tensor):
        flat = t.flatten(0, -3)[:, None]  # every (H, W) plane
        return tuple(f(flat, 4)[:, 0].unflatten(0, t.shape[:-2])
                     for f in (F.avg_pool2d, F.max_pool2d))

    tiled = tiled_map(pool, x, tile=16, overlap=8, scale=1 / 4, batch_size=3)
    assert spatial_tiles(shape, 16, 8) > 1
    for a, b in zip(tiled, pool(x)):
        torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-5)
    z = torch.randn(shape[:-2] + (10, 14))
    up = lambda t: (t.repeat_interleave(4, -1).repeat_interleave(4, -2), )  # noqa: E731
    torch.testing.assert_close(tiled_map(up, z, 4, 2, 4, batch_size=5)[0], up(z)[0])


def test_bad_tiling_and_chunking_options_are_named():
    with pytest.raises(ValueError, match='tile_size=6 must be a positive multiple of the '
                       'patch size 4'):
        Tokenizer.from_pretrained(MICRO_CONFIG, MICRO_CHECKPOINT, tile_size=6)
    with pytest.raises(ValueError, match=r'tile_overlap=16 must be a multiple of the patch '
                       r'size 4 in \[0, tile_size=16\)'):
        Tokenizer.from_pretrained(MICRO_CONFIG, MICRO_CHECKPOINT, tile_size=16, tile_overlap=16)
    with pytest.raises(ValueError, match='chunk_frames is for video tokenizers'):
        Tokenizer.from_pretrained(MICRO_CONFIG, MICRO_CHECKPOINT, chunk_frames=4)
    with pytest.raises(ValueError, match='not both'):
        Tokenizer.from_pretrained(MICRO_CONFIG, MICRO_CHECKPOINT, resize=32, max_tokens=16)


@pytest.fixture(scope='module')
def photo() -> torch.Tensor:
    """A real photo (skimage's astronaut), 64x80, in [-1, 1]."""
    from skimage import data
    image = torch.from_numpy(data.astronaut()).permute(2, 0, 1).float() / 127.5 - 1
    return F.interpolate(image[None], size=(64, 80), mode='area')[0]


def test_tiled_reconstruction_is_close_to_untiled(photo):
    """Stated tolerance: on this 2-iteration micro model (trained at 16x16, patch 4),
    tiles of 16 px overlapping by 8 reconstruct within 24 dB PSNR of the untiled pass
    (measured 28.5 dB; the 64p quick-start tokenizer on a 256x256 photo: 37-39 dB).
    A tile as large as the input is the untiled pass exactly."""
    untiled = Tokenizer.from_pretrained(MICRO_CONFIG, MICRO_CHECKPOINT)
    tiled = Tokenizer.from_pretrained(MICRO_CONFIG, MICRO_CHECKPOINT, tile_size=16,
                                      tile_overlap=8, batch_size=7)
    reference = untiled.reconstruct(photo)
    assert psnr(tiled.reconstruct(photo), reference) > 24
    z, z_tiled = untiled.encode(photo), tiled.encode(photo)
    assert z_tiled.shape == z.shape == (1, 4, 16, 20)
    # Decoding alone, tiled, from the same latents.
    assert psnr(tiled.decode(z), untiled.decode(z)) > 24
    whole = Tokenizer.from_pretrained(MICRO_CONFIG, MICRO_CHECKPOINT, tile_size=80)
    torch.testing.assert_close(whole.reconstruct(photo), reference)
    posterior = tiled.encode(photo, return_posterior=True)
    assert posterior.mean.shape == posterior.std.shape == (1, 4, 16, 20)


def test_tiling_lowers_peak_memory():
    """With the math attention path a pass over 64x64 tokens holds (N, heads, 4096, 4096)
    scores; tiles of 16x16 tokens hold 1/256 of that (measured 283 MB against 17 MB),
    as the benchmark measures it (analysis.peak_memory)."""
    from vitok_mm.analysis.memory import peak_memory
    cfg = load_inference_config(MICRO_CONFIG, {'model.encoder.attn_backend': 'math',
                                               'model.decoder.attn_backend': 'math'})
    x = torch.rand(1, 3, 256, 256) * 2 - 1
    peaks = {}
    for tile in (None, 64):
        tok = Tokenizer.from_pretrained(cfg, MICRO_CHECKPOINT, tile_size=tile, batch_size=4)
        tok.reconstruct(x[:, :, :64, :64])  # warm up allocator and caches
        peaks[tile] = peak_memory(lambda t=tok: t.reconstruct(x), torch.device('cpu'))
    assert peaks[None] > 3 * peaks[64], peaks


@pytest.fixture(scope='module')
def video_tok():
    cfg = load_inference_config(str(REPO / 'configs/quickstart/vitok_tiny_video.py'), {
        'model.encoder.width': 24, 'model.encoder.depth': 1, 'model.encoder.num_heads': 2,
        'model.decoder.width': 24, 'model.decoder.depth': 1, 'model.decoder.num_heads': 2})
    torch.manual_seed(0)
    return Tokenizer.from_pretrained(cfg)


def test_long_clips_go_in_chunks_of_whole_tubelets(video_tok):
    """chunk_frames=8 (two 4-frame tubelets) encodes frames 0-7, 8-15, 16-19 apart: each
    chunk's latents equal those of the chunk alone, and decoding goes chunk by chunk."""
    chunked = Tokenizer(video_tok.model, chunk_frames=8)
    clip = torch.rand(3, 20, 16, 16) * 2 - 1
    z = chunked.encode(clip)
    assert z.shape == (1, 64, 5, 2, 2)
    for start, stop in ((0, 8), (8, 16), (16, 20)):
        alone = video_tok.encode(clip[:, start:stop])
        torch.testing.assert_close(z[:, :, start // 4:stop // 4], alone)
    pixels = chunked.decode(z)
    torch.testing.assert_close(pixels[:, :, 8:16], video_tok.decode(z[:, :, 2:4]))
    assert chunked.reconstruct(clip[:, :18]).shape == (3, 18, 16, 16)
    with pytest.raises(ValueError, match='chunk_frames=6 must be a positive multiple of the '
                       'tubelet size 4'):
        Tokenizer(video_tok.model, chunk_frames=6)


def test_video_files_round_trip(video_tok, tmp_path):
    """A video file is decoded with decord (every frame) and comes back as uint8 frames;
    an image file given to a video tokenizer is refused by name."""
    from vitok_mm.apis.video_io import read_video, write_video
    # decord mis-decodes frames narrower than 32 pixels.
    frames = np.random.default_rng(0).integers(0, 256, (9, 32, 40, 3), dtype=np.uint8)
    write_video(str(tmp_path / 'clip.mkv'), frames, fps=12)
    again, fps = read_video(str(tmp_path / 'clip.mkv'))
    assert np.array_equal(again, frames) and fps == pytest.approx(12)  # FFV1: lossless
    out = video_tok.reconstruct(str(tmp_path / 'clip.mkv'))
    assert isinstance(out, np.ndarray) and out.shape == (9, 32, 40, 3)
    assert np.array_equal(out, video_tok.reconstruct(frames))
    from PIL import Image
    Image.fromarray(frames[0]).save(tmp_path / 'still.png')
    with pytest.raises(ValueError, match=r'still.png is an image but this is a video '
                       r'tokenizer'):
        video_tok.reconstruct(str(tmp_path / 'still.png'))


@pytest.mark.parametrize('h, w, short, budget, fitted', [
    # ViTok-v2's rule, worked by hand: 15x23 patches (p=4) > 24, s = sqrt(24/345) = 0.264,
    # floor(15s) x floor(23s) = 3 x 6 patches.
    (60, 90, 32, 24, (12, 24)),
    (100, 37, 20, 50, (44, 16)),  # 25 x 10 patches, s = 0.447: 11 x 4
    (7, 7, 16, 4, (7, 7)),  # 2 x 2 patches fit the budget: the size is kept
])
def test_resize_to_a_short_side_or_a_token_budget(h, w, short, budget, fitted):
    x = torch.rand(3, h, w) * 2 - 1
    by_side = Tokenizer.from_pretrained(MICRO_CONFIG, MICRO_CHECKPOINT, resize=short)
    out = by_side.reconstruct(x)
    assert min(out.shape[1:]) == short
    assert abs(max(out.shape[1:]) / short - max(h, w) / min(h, w)) < 1 / short + 1e-6
    by_tokens = Tokenizer.from_pretrained(MICRO_CONFIG, MICRO_CHECKPOINT, max_tokens=budget)
    assert tuple(by_tokens.reconstruct(x).shape[1:]) == fitted
