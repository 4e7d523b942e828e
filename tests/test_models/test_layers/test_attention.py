import pytest
import torch

from vitok_mm.models.layers import Attention, multi_head_attention
from vitok_mm.models.layers.attention import resolve_backend, xformers_available


def _qkv(dtype=torch.float32, device='cpu', shape=(2, 3, 17, 32)):
    return [torch.randn(shape, device=device).to(dtype) for _ in range(3)]


def test_sdpa_matches_math_fp32():
    q, k, v = _qkv()
    torch.testing.assert_close(multi_head_attention(q, k, v, 'sdpa'),
                               multi_head_attention(q, k, v, 'math'), atol=1e-5, rtol=1e-5)


def test_math_matches_explicit_loop():
    """The reference backend against attention written out head by head."""
    q, k, v = _qkv(shape=(1, 2, 5, 8))
    out = multi_head_attention(q, k, v, 'math')
    for h in range(2):
        weights = torch.softmax(q[0, h] @ k[0, h].T / 8 ** 0.5, dim=-1)
        torch.testing.assert_close(out[0, h], weights @ v[0, h])


def test_sdpa_matches_math_bf16():
    q, k, v = _qkv(torch.bfloat16)
    ref = multi_head_attention(q.float(), k.float(), v.float(), 'math')
    for backend in ('sdpa', 'math'):
        out = multi_head_attention(q, k, v, backend)
        assert out.dtype == torch.bfloat16
        torch.testing.assert_close(out.float(), ref, atol=3e-2, rtol=3e-2)


def test_auto_is_sdpa_on_cpu():
    q, _, _ = _qkv()
    assert resolve_backend('auto', q) == 'sdpa'


@pytest.mark.skipif(not (torch.cuda.is_available() and xformers_available()),
                    reason='xformers runs on CUDA only')
@pytest.mark.parametrize('dtype', [torch.float16, torch.bfloat16])
def test_xformers_matches_sdpa(dtype):
    q, k, v = _qkv(dtype, 'cuda')
    assert resolve_backend('auto', q) == 'xformers'
    torch.testing.assert_close(multi_head_attention(q, k, v, 'xformers').float(),
                               multi_head_attention(q, k, v, 'sdpa').float(),
                               atol=2e-2, rtol=2e-2)


def test_attention_module_backends_agree_with_rope_and_qk_norm():
    from vitok_mm.models.layers import RotaryEmbedding
    attn = Attention(48, num_heads=2, qk_norm=True, backend='math')
    rope = RotaryEmbedding(24, num_axes=2)((3, 4))
    x = torch.randn(2, 12, 48)
    ref = attn(x, rope)
    attn.backend = 'sdpa'
    torch.testing.assert_close(attn(x, rope), ref, atol=1e-5, rtol=1e-5)
    assert ref.shape == x.shape


def test_bad_backend_and_heads():
    with pytest.raises(ValueError, match="Unknown attention backend 'flash2'"):
        Attention(48, 2, backend='flash2')
    with pytest.raises(ValueError, match='width 50 is not divisible by num_heads 4'):
        Attention(50, 4)


@pytest.mark.skipif(xformers_available(), reason='xformers is installed here')
def test_missing_xformers_names_the_fix():
    with pytest.raises(ValueError, match=r'pip install -e \.\[xformers\]'):
        Attention(48, 2, backend='xformers')
