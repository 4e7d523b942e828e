"""DiT and its adaLN-Zero block: the paper's sizes, identity at initialisation, the
modulation against a hand-written reference, and the errors for bad shapes and labels."""
import pytest
import torch
import torch.nn.functional as F

from vitok_mm.models.generators import DiT
from vitok_mm.models.layers import AdaLNZeroBlock, Transformer


def tiny_dit(**kwargs) -> DiT:
    options = dict(in_channels=4, num_classes=10, size=None, width=48, depth=2, num_heads=4)
    options.update(kwargs)
    return DiT(**options)


def trainable(model) -> float:
    return round(sum(p.numel() for p in model.parameters() if p.requires_grad) / 1e6, 2)


@pytest.mark.parametrize('size, classes, out_channels, millions', [
    ('S', 1000, 32, 32.87), ('B', 1000, 32, 130.32), ('L', 1000, 32, 457.84),
    ('XL', 1000, 32, 674.83), ('XL', 1000, 16, 674.82), ('XL', 101, 32, 673.80)])
def test_sizes_have_the_papers_parameter_counts(size, classes, out_channels, millions):
    """On 16x16x16 latents at p=1 (16 values per token, as DiT-XL/2's 2x2x4 patches)."""
    with torch.device('meta'):
        model = DiT(16, classes, size=size, out_channels=out_channels)
    assert trainable(model) == millions
    assert model.fixed_position_count((16, 16, 16)) == 256 * model.width  # 0.29 M for XL


def test_starts_as_identity_blocks_and_zero_output():
    torch.manual_seed(0)
    model = tiny_dit()
    x = torch.randn(3, 4, 8, 8)
    out = model(x, torch.tensor([0., 500., 999.]), torch.tensor([0, 5, 10]))
    assert out.shape == (3, 8, 8, 8) and torch.equal(out, torch.zeros_like(out))
    block = model.blocks.blocks[0]
    tokens, cond = torch.randn(3, 64, 48), torch.randn(3, 48)
    assert torch.equal(block(tokens, None, cond=cond), tokens)


def test_adaln_zero_block_matches_a_hand_written_reference():
    torch.manual_seed(0)
    block = AdaLNZeroBlock(dim=32, num_heads=4)
    for p in block.parameters():  # leave the zero initialisation
        torch.nn.init.normal_(p, std=0.2)
    x, cond = torch.randn(2, 5, 32), torch.randn(2, 32)
    mod = F.linear(F.silu(cond), block.modulation[1].weight, block.modulation[1].bias)
    shift1, scale1, gate1, shift2, scale2, gate2 = mod.chunk(6, dim=-1)

    def ln(v):
        return (v - v.mean(-1, keepdim=True)) / torch.sqrt(v.var(-1, unbiased=False,
                                                                 keepdim=True) + 1e-6)

    def attention(h):
        qkv = F.linear(h, block.attn.qkv.weight, block.attn.qkv.bias).view(2, 5, 3, 4, 8)
        q, k, v = qkv.permute(2, 0, 3, 1, 4)
        weights = torch.softmax(q @ k.transpose(-1, -2) / 8 ** 0.5, dim=-1)
        out = (weights @ v).transpose(1, 2).reshape(2, 5, 32)
        return F.linear(out, block.attn.proj.weight, block.attn.proj.bias)

    def mlp(h):
        hidden = F.gelu(F.linear(h, block.mlp.fc1.weight, block.mlp.fc1.bias), approximate='tanh')
        return F.linear(hidden, block.mlp.fc2.weight, block.mlp.fc2.bias)

    h = x + gate1[:, None] * attention(ln(x) * (1 + scale1[:, None]) + shift1[:, None])
    expected = h + gate2[:, None] * mlp(ln(h) * (1 + scale2[:, None]) + shift2[:, None])
    torch.testing.assert_close(block(x, None, cond=cond), expected, rtol=1e-5, atol=1e-5)
    assert block.mlp.fc1.out_features == 128  # DiT's MLP: 4x, GELU-tanh, biases
    assert block.attn.qkv.bias is not None and block.norm1.weight is None


def test_block_options_swap_in_by_config():
    block = AdaLNZeroBlock(dim=32, num_heads=4, mlp=dict(type='SwiGLU'),
                           norm=dict(type='RMSNorm'), qk_norm=True)
    assert type(block.mlp).__name__ == 'SwiGLU' and type(block.norm1).__name__ == 'RMSNorm'
    assert block.norm1.weight is None  # the modulation is the affine part
    assert type(block.attn.q_norm).__name__ == 'RMSNorm'
    tower = Transformer(32, 2, 4, block=dict(type='AdaLNZeroBlock'), rope=True,
                        final_norm=False)
    x = torch.randn(2, 16, 32)
    assert torch.equal(tower(x, (4, 4), cond=torch.randn(2, 32)), x)  # zero-initialised


def test_patch_size_and_video_grids():
    model = tiny_dit(patch_size=2)
    for p in model.head.parameters():
        torch.nn.init.normal_(p)
    out = model(torch.randn(2, 4, 8, 8), torch.zeros(2), torch.tensor([1, 2]))
    assert out.shape == (2, 8, 8, 8) and out.abs().sum() > 0
    video = tiny_dit(num_axes=3, width=48)
    assert video(torch.randn(2, 4, 2, 4, 4), torch.zeros(2), torch.tensor([0, 1])).shape == (
        2, 8, 2, 4, 4)


@pytest.mark.parametrize('head, extra', [
    # Two 3x3 convolutions 8 -> 16 -> 8 after the plain head.
    (dict(type='ConvRefinePixelHead', hidden=16), 8 * 16 * 9 + 16 + 16 * 8 * 9 + 8),
    # Each token predicts a 3x3 neighbourhood of latents: 9x the plain projection.
    (dict(type='OverlapPixelHead', overlap=1), (48 * 8 + 8) * 8),
])
def test_the_final_layer_is_an_option_that_starts_at_zero(head, extra):
    plain, other = tiny_dit(), tiny_dit(head=head)
    assert type(other.head).__name__ == head['type']
    assert (sum(p.numel() for p in other.parameters())
            - sum(p.numel() for p in plain.parameters())) == extra
    x = torch.randn(2, 4, 8, 8)
    out = other(x, torch.tensor([3., 900.]), torch.tensor([1, 2]))
    assert out.shape == (2, 8, 8, 8) and torch.equal(out, torch.zeros_like(out))


def test_a_final_layer_without_a_projection_is_refused():
    from vitok_mm.registry import MODELS

    @MODELS.register_module(name='_HeadWithoutProj', force=True)
    class HeadWithoutProj(torch.nn.Module):
        def __init__(self, **kwargs):
            super().__init__()

    with pytest.raises(ValueError, match=r"head '_HeadWithoutProj' has no `proj` linear"):
        tiny_dit(head=dict(type='_HeadWithoutProj'))


def test_label_dropout_uses_the_null_row_in_training_only():
    model = tiny_dit(class_dropout=0.5)
    embed = model.label_embed
    assert embed.table.num_embeddings == 11 and embed.null_label == 10
    labels = torch.zeros(4000, dtype=torch.long)
    embed.train()
    dropped = (embed(labels) == embed.table.weight[10]).all(1).float().mean()
    assert 0.45 < dropped < 0.55
    embed.eval()
    assert torch.equal(embed(labels), embed.table.weight[labels])


@pytest.mark.parametrize('build, match', [
    (lambda: DiT(16, 10, size='XXL'), r"Unknown DiT size 'XXL'; choose one of \('S', 'B', "
                                      r"'L', 'XL'\)"),
    (lambda: DiT(16, 10, size='L', num_axes=3), r'width % 6 == 0.*width 1024 is not'),
    (lambda: DiT(16, 10, size=None, width=48), r'needs depth, num_heads'),
])
def test_bad_arguments(build, match):
    with pytest.raises(ValueError, match=match):
        with torch.device('meta'):
            build()


def test_bad_inputs_name_the_value():
    model = tiny_dit(patch_size=2)
    with pytest.raises(ValueError, match=r'input H=7 is not divisible by the patch_size p=2'):
        model(torch.randn(1, 4, 7, 8), torch.zeros(1), torch.tensor([0]))
    with pytest.raises(ValueError, match=r'latents \(N, c, h, w\) with c=4; got shape '
                                         r'\(1, 3, 8, 8\)'):
        model(torch.randn(1, 3, 8, 8), torch.zeros(1), torch.tensor([0]))
    with pytest.raises(ValueError, match=r'class id 11 is out of range: this model has 10 '
                                         r'classes'):
        model(torch.randn(1, 4, 8, 8), torch.zeros(1), torch.tensor([11]))
