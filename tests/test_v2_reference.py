"""Self-tests of the independent ViTok-v2 reference (tests/v2_reference.py)."""
import pytest
import torch
import torch.nn.functional as F

from tests.v2_reference import (
    V2_RELEASES,
    V2_REPO_IDS,
    parse_v2_variant,
    save_v2_release,
    v2_decode,
    v2_encode,
    v2_ffn_hidden,
    v2_fit_to_token_budget,
    v2_latents,
    v2_param_counts,
    v2_patchify,
    v2_reconstruct,
    v2_resize_to_budget,
    v2_state_dicts,
    v2_unpatchify,
)


def _images(*sizes, seed=0):
    gen = torch.Generator().manual_seed(seed)
    return [torch.rand(3, h, w, generator=gen) * 2 - 1 for h, w in sizes]


@pytest.fixture(scope='module')
def small_350m():
    """350M-f16x16 widths/heads with 1 encoder and 2 decoder blocks."""
    return v2_state_dicts(V2_RELEASES['350M-f16x16'], 1, 2, seed=1)


@pytest.mark.parametrize('name', sorted(V2_RELEASES))
def test_release_variants(name):
    cfg = parse_v2_variant(V2_RELEASES[name])
    size, fc = name.split('-f')
    patch, channels = map(int, fc.split('x'))
    assert (cfg['patch'], cfg['channels'], cfg['temporal_stride']) == (patch, channels, 1)
    assert cfg['pixels_per_token'] == 3 * patch * patch
    assert cfg['mlp_factor'] == 2.67
    width, heads, depth, hidden = {'350M': (1024, 16, 24, 2736), '5B': (3072, 24, 40, 8208)}[size]
    towers = {t: tuple(cfg[f'{t}_{k}'] for k in ('width', 'depth', 'heads'))
              for t in ('encoder', 'decoder')}
    assert towers == {'encoder': (width, 4, heads), 'decoder': (width, depth, heads)}
    assert v2_ffn_hidden(width, cfg['mlp_factor']) == hidden
    assert V2_REPO_IDS[name] == f'philippehansen/ViTok-v2-{name}'


def test_variant_grammar():
    cfg = parse_v2_variant('w512_d6_h8_m4-Bd2h4w256/16x32')
    assert (cfg['encoder_width'], cfg['encoder_depth'], cfg['encoder_heads']) == (512, 6, 8)
    assert (cfg['decoder_width'], cfg['decoder_depth'], cfg['decoder_heads']) == (256, 2, 4)
    assert cfg['mlp_factor'] == 4.0  # v2: max of the two towers' factors
    assert (cfg['patch'], cfg['channels']) == (16, 32)
    g = parse_v2_variant('G/2x8x4')
    assert (g['decoder_width'], g['decoder_depth'], g['decoder_heads']) == (1728, 32, 24)
    assert (g['temporal_stride'], g['pixels_per_token']) == (2, 3 * 2 * 64)
    assert parse_v2_variant('Em3.5/1x16x8')['mlp_factor'] == 3.5
    with pytest.raises(ValueError):
        parse_v2_variant('Q/1x16x16')


def test_state_dict_names_and_shapes(small_350m):
    enc, dec = small_350m
    w, hd, hid, p2 = 1024, 64, 2736, 3 * 16 * 16
    block = {'norm1.weight': (w,), 'attn.norm_q.weight': (hd,), 'attn.norm_k.weight': (hd,),
             'attn.qkv_proj.weight': (3 * w, w), 'attn.out_proj.weight': (w, w),
             'ffn.fc1.weight': (2 * hid, w), 'ffn.fc2.weight': (w, hid),
             'layer_scale.gamma': (w,)}
    expect_enc = {'patch_embed.weight': (w, p2), 'patch_embed.bias': (w,),
                  'to_code.weight': (16, w), 'to_code.bias': (16,),
                  **{f'encoder_blocks.0.{k}': s for k, s in block.items()}}
    expect_dec = {'decoder_embed.weight': (w, 16), 'decoder_embed.bias': (w,),
                  'to_pixels.weight': (p2, w), 'to_pixels.bias': (p2,),
                  **{f'decoder_blocks.{i}.{k}': s for i in (0, 1) for k, s in block.items()}}
    assert {k: tuple(v.shape) for k, v in enc.items()} == expect_enc
    assert {k: tuple(v.shape) for k, v in dec.items()} == expect_dec
    gamma = dec['decoder_blocks.1.layer_scale.gamma']
    assert 0.3 <= gamma.min() and gamma.max() <= 1.0  # off the 1e-4 init
    assert (enc['encoder_blocks.0.attn.norm_q.weight'] - 1).abs().max() > 0.1


def test_param_counts():
    enc, dec = v2_param_counts(V2_RELEASES['350M-f16x16'])
    assert abs(enc / 1e6 - 51) < 1 and abs(dec / 1e6 - 303) < 1
    enc, dec = v2_param_counts(V2_RELEASES['5B-f32x256'])
    assert abs(enc / 1e6 - 463) < 2 and abs(dec / 1e9 - 4.54) < 0.02
    enc16, _ = v2_param_counts(V2_RELEASES['5B-f16x64'])  # smaller patch_embed/to_code
    assert 450e6 < enc16 < enc


def test_padded_batch_matches_single(small_350m):
    enc, dec = small_350m
    variant = V2_RELEASES['350M-f16x16']
    imgs = _images((40, 56), (72, 48))  # 3x4 and 5x3 grids, both need pixel padding
    batch = v2_latents(enc, variant, imgs, max_tokens=20)
    recon = v2_reconstruct(enc, dec, variant, imgs)
    for img, lat, rec in zip(imgs, batch, recon):
        single = v2_latents(enc, variant, [img])[0]
        assert lat.shape == single.shape == (16, -(-img.shape[1] // 16), -(-img.shape[2] // 16))
        torch.testing.assert_close(lat, single, atol=1e-5, rtol=0)
        assert rec.shape == img.shape
        torch.testing.assert_close(rec, v2_reconstruct(enc, dec, variant, [img])[0],
                                   atol=1e-5, rtol=0)
        assert torch.isfinite(rec).all()
    # without the mask (v2's flash backend) padding tokens leak into valid ones
    leak = v2_latents(enc, variant, imgs[:1], max_tokens=20, use_mask=False)[0]
    assert (leak - batch[0]).abs().max() > 1e-3


def test_rope_is_relative(small_350m):
    """Shifting all positions leaves the latents unchanged; swapping row/col does not."""
    enc, _ = small_350m
    variant = V2_RELEASES['350M-f16x16']
    pd = v2_patchify(_images((48, 64)), 16)
    z = v2_encode(enc, variant, pd)
    shifted = dict(pd, row_idx=pd['row_idx'] + 7, col_idx=pd['col_idx'] + 3)
    torch.testing.assert_close(v2_encode(enc, variant, shifted), z, atol=1e-4, rtol=0)
    swapped = dict(pd, row_idx=pd['col_idx'], col_idx=pd['row_idx'])
    assert (v2_encode(enc, variant, swapped) - z).abs().max() > 1e-3


def test_decode_shapes(small_350m):
    enc, dec = small_350m
    pd = v2_patchify(_images((32, 32)), 16, max_tokens=6)
    z = v2_encode(enc, V2_RELEASES['350M-f16x16'], pd)
    assert z.shape == (1, 6, 16)
    valid = z[0, :4]
    torch.testing.assert_close(valid.mean(-1), torch.zeros(4), atol=1e-5, rtol=0)
    assert v2_decode(dec, V2_RELEASES['350M-f16x16'], z, pd).shape == (1, 6, 768)


def test_patchify_round_trip():
    imgs = _images((37, 50), (16, 16), (9, 70))
    pd = v2_patchify(imgs, 8, max_tokens=60)
    assert pd['patches'].shape == (3, 60, 192)
    assert pd['grid_rows'].tolist() == [5, 2, 2] and pd['grid_cols'].tolist() == [7, 2, 9]
    assert pd['patch_mask'].sum(1).tolist() == [35, 4, 18]
    assert pd['orig_height'].tolist() == [37, 16, 9] and pd['orig_width'].tolist() == [50, 16, 70]
    # feature order and token order equal v2's F.unfold on the zero-padded image
    padded = F.pad(imgs[0], (0, 6, 0, 3))
    torch.testing.assert_close(pd['patches'][0, :35], F.unfold(padded[None], 8, stride=8)[0].T,
                               atol=0, rtol=0)
    assert pd['row_idx'][0, :8].tolist() == [0] * 7 + [1]
    assert pd['col_idx'][0, :8].tolist() == list(range(7)) + [0]
    for img, back in zip(imgs, v2_unpatchify(pd['patches'], pd, 8)):
        assert torch.equal(img, back)
    assert v2_patchify(imgs, 8)['patches'].shape[1] == 35  # default: longest in batch
    with pytest.raises(ValueError):
        v2_patchify(imgs, 8, max_tokens=20)


@pytest.mark.parametrize('h, w, patch, budget, expected', [
    (500, 375, 16, 256, (288, 208)),
    (375, 500, 16, 256, (208, 288)),
    (256, 256, 16, 256, (256, 256)),
    (250, 250, 16, 256, (250, 250)),   # 16x16 grid after padding: within budget, untouched
    (512, 512, 16, 256, (256, 256)),
    (1000, 40, 16, 64, (576, 16)),
    (10, 5000, 16, 16, (10, 1120)),    # capped at h; v2 quirk: 70 tokens > budget
    (100, 5000, 32, 16, (32, 800)),    # grid floored to 0 -> 1 row; 25 tokens > budget
])
def test_fit_to_token_budget(h, w, patch, budget, expected):
    assert v2_fit_to_token_budget(h, w, patch, budget) == expected
    gh, gw = -(-expected[0] // patch), -(-expected[1] // patch)
    # v2's rule only overshoots when a side is floored to a single patch row/column
    assert gh * gw <= budget or min(gh, gw) == 1


def test_resize_matches_torchvision():
    tvf = pytest.importorskip('torchvision.transforms.functional')
    img = _images((500, 375))[0]
    out = v2_resize_to_budget(img, 16, 256)
    ref = tvf.resize(img, [288, 208], interpolation=tvf.InterpolationMode.BICUBIC, antialias=True)
    assert out.shape == (3, 288, 208)
    torch.testing.assert_close(out, ref, atol=1e-6, rtol=0)
    small = _images((40, 40))[0]
    assert v2_resize_to_budget(small, 16, 256) is small
    lat = v2_latents(v2_state_dicts('w64_d1_h4/1x16x8')[0], 'w64_d1_h4/1x16x8', [img],
                     max_tokens=256, resize=True)[0]
    assert lat.shape == (8, 18, 13)


def test_save_release(tmp_path):
    from safetensors.torch import load_file
    variant = 'w32_d1_h2/1x8x4'
    paths = save_v2_release(tmp_path / 'rel', variant, decoder_depth=2, seed=3)
    enc, dec = v2_state_dicts(variant, decoder_depth=2, seed=3)
    for path, sd in zip(paths, (enc, dec)):
        loaded = load_file(path)
        assert loaded.keys() == sd.keys()
        assert all(torch.equal(loaded[k], sd[k]) for k in sd)
