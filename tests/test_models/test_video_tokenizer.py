"""Video tokenizers: tubelets in and out, clips longer than trained on (3D RoPE itself is
tested in test_layers/test_rope.py)."""
import pytest
import torch

from tests.conftest import tiny_vitok_config
from vitok_mm.models import PatchEmbed, PixelHead
from vitok_mm.registry import MODELS


@pytest.mark.parametrize('q, p', [(4, 8), (8, 8), (4, 16), (2, 4)])
def test_pixel_head_inverts_the_tubelet_embedding(q, p):
    dim = 3 * q * p * p
    embed, head = PatchEmbed(dim, p, q), PixelHead(dim, p, q)
    with torch.no_grad():
        for proj in (embed.proj, head.proj):  # identity projections: pure (un)patchify
            proj.weight.copy_(torch.eye(dim))
            proj.bias.zero_()
    video = torch.randn(2, 3, 2 * q, 2 * p, 3 * p)
    tokens, grid = embed(video)
    assert grid == (2, 2, 3) and tokens.shape == (2, 12, dim)
    # Token (t, h, w) holds frames t*q.., rows h*p.., cols w*p.. (row-major grid order).
    first = video[0, :, q:2 * q, p:2 * p, 2 * p:3 * p]  # t=1, h=1, w=2 -> token 1*6+1*3+2
    assert torch.equal(tokens[0, 11], first.permute(1, 2, 3, 0).reshape(-1))
    assert torch.equal(head(tokens, grid), video)


def test_a_16_frame_model_encodes_longer_clips_in_multiples_of_q():
    model = MODELS.build(tiny_vitok_config(patch_size=8, tubelet_size=4)).eval()
    with torch.no_grad():
        for frames in (16, 32, 4):
            clip = torch.rand(1, 3, frames, 16, 16) * 2 - 1
            posterior = model.encode(clip)
            assert posterior.mean.shape == (1, 4, frames // 4, 2, 2)
            assert model.decode(posterior.mode()).shape == clip.shape
    with pytest.raises(ValueError, match=r'T=18 is not divisible by the tubelet_size q=4'):
        model.encode(torch.rand(1, 3, 18, 16, 16))

