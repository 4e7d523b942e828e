import pytest
import torch

from vitok_mm.models.layers import RotaryEmbedding, apply_rotary, split_rotary_pairs


@pytest.mark.parametrize('head_dim, axes, expected', [
    (64, 2, (16, 16)),       # S and B heads, images
    (64, 3, (10, 11, 11)),   # S and B heads, video: spatial axes take the remainder
    (72, 2, (18, 18)),       # L heads
    (72, 3, (12, 12, 12)),
])
def test_split_rotary_pairs(head_dim, axes, expected):
    assert split_rotary_pairs(head_dim, axes) == expected
    assert sum(expected) * 2 == head_dim


def test_split_rejects_odd_and_small_heads():
    with pytest.raises(ValueError, match='head_dim=63 is odd'):
        split_rotary_pairs(63, 2)
    with pytest.raises(ValueError, match='head_dim=8 is too small for 3D rotary'):
        split_rotary_pairs(8, 3)
    with pytest.raises(ValueError, match='must be >= 12'):
        split_rotary_pairs(10, 3)
    split_rotary_pairs(12, 3)  # the smallest head 3D RoPE accepts


def test_apply_rotary_matches_complex_multiplication():
    """Independent reference: a rotary pair is a complex number times exp(i * angle)."""
    rope = RotaryEmbedding(head_dim=24, num_axes=3)
    cos, sin = rope((2, 3, 4))
    x = torch.randn(2, 5, 24, 24).double()  # (N, H, L, d) with L = 2*3*4
    angles = torch.atan2(sin, cos).double()
    expected = torch.view_as_real(
        torch.view_as_complex(x.unflatten(-1, (-1, 2)).contiguous()) * torch.polar(
            torch.ones_like(angles), angles)).flatten(-2)
    torch.testing.assert_close(apply_rotary(x, cos.double(), sin.double()), expected)


def _scores(rope, grid, q, k, index_q, index_k):
    cos, sin = rope(grid)
    qr = apply_rotary(q[None], cos[index_q], sin[index_q])[0]
    kr = apply_rotary(k[None], cos[index_k], sin[index_k])[0]
    return (qr * kr).sum(-1)


@pytest.mark.parametrize('grid', [(6, 7), (3, 4, 5)])
def test_scores_depend_only_on_offsets(grid):
    """<R(m) q, R(n) k> is unchanged when both positions shift by the same offset."""
    rope = RotaryEmbedding(head_dim=24, num_axes=len(grid))
    strides = torch.tensor([int(torch.tensor(grid[i + 1:]).prod()) for i in range(len(grid))])
    q, k = torch.randn(20, 24), torch.randn(20, 24)
    pos_q = torch.stack([torch.randint(0, g - 1, (20,)) for g in grid], 1)
    pos_k = torch.stack([torch.randint(0, g - 1, (20,)) for g in grid], 1)
    shift = torch.ones(len(grid), dtype=torch.long)  # every axis moves by one
    before = _scores(rope, grid, q, k, pos_q @ strides, pos_k @ strides)
    after = _scores(rope, grid, q, k, (pos_q + shift) @ strides, (pos_k + shift) @ strides)
    torch.testing.assert_close(before, after, atol=1e-4, rtol=1e-4)
    # ...and they do depend on the offset: moving only the keys changes them.
    moved = _scores(rope, grid, q, k, pos_q @ strides, (pos_k + shift) @ strides)
    assert (moved - before).abs().max() > 1e-2


def test_rotation_is_identity_at_origin_and_preserves_norm():
    rope = RotaryEmbedding(head_dim=32, num_axes=2)
    cos, sin = rope((4, 4))
    x = torch.randn(1, 1, 16, 32)
    out = apply_rotary(x, cos, sin)
    torch.testing.assert_close(out[..., 0, :], x[..., 0, :])
    torch.testing.assert_close(out.norm(dim=-1), x.norm(dim=-1))


def test_3d_rope_on_one_frame_reduces_to_2d():
    """With a single time step the time pairs stay unrotated and rows/cols are 2D RoPE."""
    rope3d = RotaryEmbedding(head_dim=64, num_axes=3)          # pairs (10, 11, 11)
    rope2d = RotaryEmbedding(head_dim=44, num_axes=2, axes_pairs=(11, 11))
    cos3, sin3 = rope3d((1, 5, 6))
    cos2, sin2 = rope2d((5, 6))
    torch.testing.assert_close(cos3[:, :10], torch.ones(30, 10))
    torch.testing.assert_close(sin3[:, :10], torch.zeros(30, 10))
    torch.testing.assert_close(cos3[:, 10:], cos2)
    torch.testing.assert_close(sin3[:, 10:], sin2)


def test_2d_rope_on_one_row_reduces_to_1d():
    rope2d = RotaryEmbedding(head_dim=32, num_axes=2)
    rope1d = RotaryEmbedding(head_dim=16, num_axes=1)
    cos2, _ = rope2d((1, 9))
    cos1, _ = rope1d((9,))
    torch.testing.assert_close(cos2[:, :8], torch.ones(9, 8))  # the single row
    torch.testing.assert_close(cos2[:, 8:], cos1)


def test_grid_rank_mismatch_and_bad_axes_pairs():
    with pytest.raises(ValueError, match='built for 3 axes'):
        RotaryEmbedding(head_dim=24, num_axes=3)((4, 4))
    with pytest.raises(ValueError, match='summing to head_dim / 2 = 12'):
        RotaryEmbedding(head_dim=24, num_axes=2, axes_pairs=(6, 7))
