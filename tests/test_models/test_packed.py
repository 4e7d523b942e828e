"""Packed batches (NaFlex): inputs of different sizes in one batch, padded to one token
count with a mask. On every attention backend a padded batch equals each input alone,
for images and clips, for the sequential and the parallel block; and without the mask
it would not (the test can fail)."""
import pytest
import torch

from tests.conftest import tiny_vitok_config
from vitok_mm.models.builder import build_model
from vitok_mm.models.layers import RotaryEmbedding, pack, sincos_position_embedding
from vitok_mm.models.layers.attention import multi_head_attention, xformers_available
from vitok_mm.models.layers.pos_embed import sincos_at

BACKENDS = ['sdpa', 'math'] + (['xformers'] if torch.cuda.is_available()
                               and xformers_available() else [])


def build(backend, block='Block', tubelet_size=None, **extra):
    torch.manual_seed(0)
    block_cfg = dict(type=block)
    if block == 'ParallelBlock':
        block_cfg['layer_scale'] = 0.5  # off the identity, so a wrong mask shows
    cfg = tiny_vitok_config(patch_size=4, tubelet_size=tubelet_size, attn_backend=backend,
                            block=block_cfg, **extra)
    model = build_model(cfg).eval()
    device = 'cuda' if backend == 'xformers' else 'cpu'
    return model.to(device), device


@pytest.mark.parametrize('backend', BACKENDS)
@pytest.mark.parametrize('block', ['Block', 'ParallelBlock'])
def test_a_packed_batch_equals_each_input_alone(backend, block):
    model, device = build(backend, block)
    images = [torch.rand(3, h, w, device=device) * 2 - 1 for h, w in ((12, 20), (16, 8), (4, 4))]
    with torch.no_grad():
        posteriors = model.encode_packed(images)
        pixels = model.decode_packed([p.mode()[0] for p in posteriors])
        for image, posterior, out in zip(images, posteriors, pixels):
            alone = model.encode(image[None])
            torch.testing.assert_close(posterior.mean, alone.mean, atol=1e-5, rtol=1e-5)
            torch.testing.assert_close(posterior.logvar, alone.logvar, atol=1e-5, rtol=1e-5)
            torch.testing.assert_close(out[None], model.decode(alone.mode()), atol=1e-5,
                                       rtol=1e-5)


def test_clips_and_sincos_positions_pack_too():
    model, _ = build('sdpa', tubelet_size=2, abs_pos_embed='sincos')
    clips = [torch.rand(3, 4, 8, 12) * 2 - 1, torch.rand(3, 2, 12, 4) * 2 - 1]
    with torch.no_grad():
        for clip, posterior in zip(clips, model.encode_packed(clips)):
            torch.testing.assert_close(posterior.mean, model.encode(clip[None]).mean,
                                       atol=1e-5, rtol=1e-5)


def test_without_the_mask_padding_would_leak():
    """The same packed tokens through the tower without the mask differ for the shorter
    input: the equality above is the mask's doing."""
    model, _ = build('sdpa')
    images = [torch.rand(3, 12, 20) * 2 - 1, torch.rand(3, 4, 4) * 2 - 1]
    with torch.no_grad():
        embedded = [model.encoder.patch_embed(x[None]) for x in images]
        packed = pack([t for t, _ in embedded], [g for _, g in embedded])
        tower = model.encoder.transformer
        masked = tower(packed.tokens, mask=packed.mask, positions=packed.positions)
        unmasked = tower(packed.tokens, positions=packed.positions)
    assert (masked[1, :1] - unmasked[1, :1]).abs().max() > 1e-2
    torch.testing.assert_close(masked[0], unmasked[0], atol=1e-5, rtol=1e-5)  # longest: no pads


def test_position_tables_at_coordinates_equal_the_grid_tables():
    rope = RotaryEmbedding(16, 2)
    from vitok_mm.models.layers.packing import grid_positions
    coords = grid_positions((3, 5))[None]
    cos, sin = rope.at(coords)
    grid_cos, grid_sin = rope((3, 5))
    assert torch.equal(cos[0], grid_cos) and torch.equal(sin[0], grid_sin)
    assert torch.equal(sincos_at(coords[0], 32), sincos_position_embedding((3, 5), 32))


def test_masked_keys_get_no_weight_on_every_cpu_backend():
    torch.manual_seed(0)
    q, k, v = (torch.randn(2, 2, 5, 8) for _ in range(3))
    mask = torch.tensor([[True] * 5, [True, True, True, False, False]])
    for backend in ('sdpa', 'math'):
        out = multi_head_attention(q, k, v, backend, mask)
        alone = multi_head_attention(q[1:, :, :3], k[1:, :, :3], v[1:, :, :3], backend)
        torch.testing.assert_close(out[1:, :, :3], alone, atol=1e-6, rtol=1e-5)
        torch.testing.assert_close(out[:1], multi_head_attention(q[:1], k[:1], v[:1], backend))


def test_a_learned_position_table_is_refused_in_a_packed_batch():
    model, _ = build('sdpa', abs_pos_embed='learned', base_grid=(4, 4))
    with pytest.raises(ValueError, match='learned position table'):
        model.encode_packed([torch.zeros(3, 8, 8), torch.zeros(3, 4, 8)])
