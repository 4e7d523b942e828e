"""Pluggable towers: blocks, attention, MLPs and norms from configs, and their shorthands."""
import copy

import pytest
import torch
import torch.nn.functional as F
from mmengine.registry import MODELS as MMENGINE_MODELS
from mmengine.registry import DefaultScope
from torch import nn

from tests.conftest import tiny_vitok_config
from vitok_mm.models.layers import (
    Attention,
    Block,
    GatedMlp,
    GeGLU,
    LayerNorm,
    Mlp,
    RMSNorm,
    RotaryEmbedding,
    SwiGLU,
    Transformer,
    apply_rotary,
)
from vitok_mm.registry import MODELS

# ----------------------------------------------------------------------------- custom blocks
# Blocks a user would register in their own module; registered only for the tests that use
# them (fixture below) so that the registry is left as it was.


class ScaledResidualBlock(Block):
    """:class:`Block` whose residual branches are scaled: ``x + s * attn(..)``, ``x + s * mlp(..)``.

    With ``residual_scale=0`` the block is the identity. Shapes: ``(N, L, dim) -> (N, L, dim)``.
    """

    def __init__(self, dim, num_heads, mlp_ratio=4.0, residual_scale=0.5, **options):
        super().__init__(dim, num_heads, mlp_ratio, **options)
        self.residual_scale = residual_scale

    def forward(self, x, rope=None):
        x = x + self.residual_scale * self.attn(self.norm1(x), rope)
        return x + self.residual_scale * self.mlp(self.norm2(x))


class ConditionedBlock(nn.Module):
    """A stand-in for DiT's adaLN block: adds a projection of ``cond (N, C)`` to every token.

    Shapes: ``x (N, L, dim)``, ``cond (N, cond_dim)`` -> ``(N, L, dim)``.
    """

    def __init__(self, dim, num_heads, mlp_ratio=4.0, cond_dim=3):
        super().__init__()
        self.proj = nn.Linear(cond_dim, dim)

    def forward(self, x, rope=None, cond=None):
        return x + self.proj(cond)[:, None, :]


CUSTOM_BLOCKS = (ScaledResidualBlock, ConditionedBlock)


@pytest.fixture
def custom_blocks():
    for cls in CUSTOM_BLOCKS:
        MODELS.register_module(module=cls)
    yield
    for cls in CUSTOM_BLOCKS:
        MODELS.module_dict.pop(cls.__name__)


def test_custom_block_swapped_in_from_a_vitok_config(custom_blocks):
    cfg = tiny_vitok_config(patch_size=4, depth=2)
    cfg['encoder']['block'] = dict(type='ScaledResidualBlock', residual_scale=0.0)
    model = MODELS.build(cfg).eval()
    assert all(type(b) is ScaledResidualBlock for b in model.encoder.transformer.blocks)
    assert all(type(b) is Block for b in model.decoder.transformer.blocks)
    assert model.encoder.transformer.blocks[0].attn.qkv.weight.shape == (144, 48)

    x = torch.rand(2, 3, 16, 16) * 2 - 1
    with torch.no_grad():
        tokens, grid = model.encoder(x)
        embedded, _ = model.encoder.patch_embed(x)
        # Zero-scaled residuals: the blocks pass tokens through, only the final norm acts.
        torch.testing.assert_close(tokens, model.encoder.transformer.norm(embedded))
        default = MODELS.build(tiny_vitok_config(patch_size=4, depth=2)).eval()
        default.load_state_dict(model.state_dict())
        default_tokens, _ = default.encoder(x)
    assert (default_tokens - tokens).abs().max() > 1e-3


def test_block_options_reach_a_custom_block(custom_blocks):
    tower = Transformer(48, 1, 2, qk_norm=True, norm_type='layernorm',
                        block=dict(type='ScaledResidualBlock'))
    block = tower.blocks[0]
    assert block.residual_scale == 0.5
    assert type(block.norm1) is LayerNorm and type(block.attn.q_norm) is LayerNorm
    assert type(tower.norm) is LayerNorm


def test_conditioning_reaches_every_block_with_and_without_checkpointing(custom_blocks):
    cond = torch.randn(2, 3)
    x = torch.randn(2, 6, 8)
    for grad_checkpointing in (False, True):
        torch.manual_seed(0)
        tower = Transformer(8, 2, 2, rope=False, grad_checkpointing=grad_checkpointing,
                            block=dict(type='ConditionedBlock', cond_dim=3))
        tower.train()
        blocks = tower.blocks
        shift = blocks[0].proj(cond)[:, None] + blocks[1].proj(cond)[:, None]
        out = tower(x.requires_grad_(), (2, 3), cond=cond)
        torch.testing.assert_close(out, tower.norm(x + shift))
        out.sum().backward()
        assert blocks[0].proj.weight.grad is not None


# ----------------------------------------------------------------------------- registry


@pytest.mark.parametrize('name, cls', [
    ('Attention', Attention), ('Block', Block), ('Transformer', Transformer), ('Mlp', Mlp),
    ('SwiGLU', SwiGLU), ('GeGLU', GeGLU), ('RMSNorm', RMSNorm), ('LayerNorm', LayerNorm),
])
def test_layer_names_resolve_to_ours_and_nothing_else(name, cls):
    try:  # mmcv fills MMEngine's root registry with its own names ('LN', 'GELU', ...)
        import mmcv.cnn  # noqa: F401
    except ImportError:
        pass
    with DefaultScope.overwrite_default_scope('vitok_mm'):
        assert MODELS.get(name) is cls
    assert name not in MMENGINE_MODELS.module_dict


# ----------------------------------------------------------------------------- shorthands


def _reference_block(block, x, rope, norm, mlp, qk_norm=False):
    """The block of today's configs written out from its weights, without its modules."""
    def normed(module, t):
        if norm == 'rmsnorm':
            return t * torch.rsqrt(t.pow(2).mean(-1, keepdim=True) + 1e-6) * module.weight
        return F.layer_norm(t, t.shape[-1:], module.weight, module.bias, eps=1e-6)

    attn = block.attn
    n, length, dim = x.shape
    h = normed(block.norm1, x)
    qkv = F.linear(h, attn.qkv.weight, attn.qkv.bias).view(n, length, 3, attn.num_heads, -1)
    q, k, v = qkv.permute(2, 0, 3, 1, 4)
    if qk_norm:
        q, k = normed(attn.q_norm, q), normed(attn.k_norm, k)
    q, k = apply_rotary(q, *rope), apply_rotary(k, *rope)
    weights = torch.softmax(q @ k.transpose(-2, -1) / q.shape[-1] ** 0.5, dim=-1)
    x = x + attn.proj(((weights @ v).transpose(1, 2)).reshape(n, length, dim))
    h = normed(block.norm2, x)
    if mlp == 'gelu':
        return x + block.mlp.fc2(F.gelu(block.mlp.fc1(h)))
    gate, up = F.linear(h, block.mlp.gate_up.weight).chunk(2, dim=-1)
    act = F.silu if mlp == 'swiglu' else F.gelu
    return x + F.linear(act(gate) * up, block.mlp.down.weight)


SHORTHANDS = [
    (dict(), dict()),
    (dict(norm_type='layernorm'), dict(norm=dict(type='LayerNorm'))),
    (dict(mlp_type='gelu'), dict(mlp=dict(type='Mlp'))),
    (dict(mlp_type='geglu'), dict(mlp=dict(type='GeGLU'))),
    (dict(mlp_type='swiglu', norm_type='rmsnorm'),
     dict(mlp=dict(type='SwiGLU'), norm=dict(type='RMSNorm'))),
    (dict(qk_norm=True, qkv_bias=True, attn_backend='math', norm_type='layernorm'),
     dict(attn=dict(type='Attention', qk_norm=True, qkv_bias=True, backend='math',
                    norm=dict(type='LayerNorm')),
          norm=dict(type='LayerNorm'))),
]


@pytest.mark.parametrize('shorthand, configs', SHORTHANDS, ids=str)
def test_shorthands_equal_configs_and_the_written_out_block(shorthand, configs):
    torch.manual_seed(0)
    short = Block(48, 2, **shorthand)
    torch.manual_seed(0)
    long = Block(48, 2, **configs)
    assert [(n, type(m)) for n, m in short.named_modules()] == [
        (n, type(m)) for n, m in long.named_modules()]
    assert short.state_dict().keys() == long.state_dict().keys()
    for key, value in short.state_dict().items():
        assert torch.equal(value, long.state_dict()[key]), key

    x = torch.randn(2, 12, 48)
    rope = RotaryEmbedding(24, num_axes=2)((3, 4))
    for module in (short, long):  # norm weights away from 1 so that they matter
        for norm in (module.norm1, module.norm2, module.attn.q_norm, module.attn.k_norm):
            if isinstance(norm, (RMSNorm, LayerNorm)):
                nn.init.normal_(norm.weight, 1.0, 0.1)
    long.load_state_dict(short.state_dict())
    with torch.no_grad():
        out = short(x, rope)
        assert torch.equal(out, long(x, rope))
        reference = _reference_block(
            short, x, rope, shorthand.get('norm_type', 'rmsnorm'),
            shorthand.get('mlp_type', 'swiglu'), shorthand.get('qk_norm', False))
    torch.testing.assert_close(out, reference, atol=1e-5, rtol=1e-5)


def test_default_block_is_todays_llama_block():
    block = Block(48, 2)
    assert type(block.norm1) is RMSNorm and block.norm1.eps == 1e-6
    assert isinstance(block.mlp, GatedMlp) and type(block.mlp) is SwiGLU
    assert block.mlp.gate_up.weight.shape == (2 * 128, 48)  # 2/3 * 4 * 48 = 128
    assert block.attn.qkv.bias is None and block.attn.proj.bias is None
    assert block.attn.backend == 'auto' and isinstance(block.attn.q_norm, nn.Identity)


def test_construction_order_is_todays():
    """Modules are created (random draws) and listed (the ViTok re-init) in today's order."""
    torch.manual_seed(0)
    block = Block(48, 2, mlp_type='gelu', qkv_bias=True)
    torch.manual_seed(0)
    expected = [nn.Linear(48, 144), nn.Linear(48, 48, bias=False), nn.Linear(48, 192),
                nn.Linear(192, 48)]
    linears = [(n, m) for n, m in block.named_modules() if isinstance(m, nn.Linear)]
    assert [n for n, _ in linears] == ['attn.qkv', 'attn.proj', 'mlp.fc1', 'mlp.fc2']
    for (name, module), reference in zip(linears, expected):
        assert torch.equal(module.weight, reference.weight), name
    assert [n for n, _ in block.named_children()] == ['norm1', 'attn', 'norm2', 'mlp']
    tower = Transformer(48, 2, 2, abs_pos_embed='learned', base_grid=(2, 2))
    assert [n for n, _ in tower.named_children()] == ['rope', 'pos_embed', 'blocks', 'norm']


# ----------------------------------------------------------------------------- configs


def test_attn_mlp_norm_configs_are_used():
    block = Block(48, 2, mlp_ratio=2.0,
                  attn=dict(type='Attention', qkv_bias=True, proj_bias=True, qk_norm=True),
                  mlp=dict(type='Mlp', bias=False),
                  norm=dict(type='LayerNorm', eps=1e-5))
    assert block.attn.qkv.bias.shape == (144, ) and block.attn.proj.bias.shape == (48, )
    # qk-norm follows the block's norm, at the head width.
    assert type(block.attn.q_norm) is LayerNorm and block.attn.q_norm.normalized_shape == (24, )
    assert block.norm2.eps == 1e-5 and block.attn.k_norm.eps == 1e-5
    assert block.mlp.fc1.weight.shape == (96, 48) and block.mlp.fc1.bias is None  # ratio 2

    own = Block(48, 2, attn=dict(type='Attention', qk_norm=True, norm_type='rmsnorm'),
                norm=dict(type='LayerNorm'), mlp=dict(type='SwiGLU', hidden_dim=40))
    assert type(own.attn.q_norm) is RMSNorm and type(own.norm1) is LayerNorm
    assert own.mlp.down.weight.shape == (48, 40)
    assert Block(48, 2, mlp=dict(type='GeGLU', mlp_ratio=1.5)).mlp.down.weight.shape == (48, 48)


def test_tower_norm_and_block_config_set_the_final_norm():
    assert type(Transformer(48, 1, 2).norm) is RMSNorm
    tower = Transformer(48, 1, 2, norm=dict(type='LayerNorm'))
    assert type(tower.norm) is LayerNorm and type(tower.blocks[0].norm1) is LayerNorm
    tower = Transformer(48, 1, 2, block=dict(type='Block', norm=dict(type='LayerNorm')))
    assert type(tower.norm) is LayerNorm
    tower = Transformer(48, 1, 2, mlp_ratio=2.0, block=dict(type='Block', mlp_type='gelu'))
    assert tower.blocks[0].mlp.fc1.weight.shape == (96, 48)


def test_block_config_through_vitok_config_matches_shorthands():
    shorthand = tiny_vitok_config(norm_type='layernorm', mlp_type='gelu')
    configured = copy.deepcopy(tiny_vitok_config())
    for tower in ('encoder', 'decoder'):
        configured[tower]['block'] = dict(type='Block', mlp=dict(type='Mlp'),
                                          norm=dict(type='LayerNorm'))
    torch.manual_seed(0)
    a = MODELS.build(shorthand)
    torch.manual_seed(0)
    b = MODELS.build(configured)
    assert a.state_dict().keys() == b.state_dict().keys()
    assert all(torch.equal(v, b.state_dict()[k]) for k, v in a.state_dict().items())


# ----------------------------------------------------------------------------- bad options


@pytest.mark.parametrize('options, message', [
    (dict(mlp_type='gelu', mlp=dict(type='Mlp')), "mlp_type='gelu' and mlp=.* both set the MLP"),
    (dict(norm_type='layernorm', norm=dict(type='LayerNorm')),
     "norm_type='layernorm' and norm=.* both set the norm"),
    (dict(mlp=dict(type='ReLUMlp')),
     "Unknown mlp type 'ReLUMlp'.*built-in: SwiGLU, GeGLU, Mlp.*register_module"),
    # mmcv's root-registry 'LN' (nn.LayerNorm) once mmcv.cnn is imported, unknown before.
    (dict(norm=dict(type='LN')), "norm type 'LN' .*built-in: RMSNorm, LayerNorm"),
    (dict(attn=dict(type='FlashAttention')), "Unknown attn type 'FlashAttention'"),
    (dict(mlp=dict(hidden_dim=8)), 'mlp must be a config dict with a "type" key'),
    (dict(norm='layernorm'), 'norm must be a config dict'),
    (dict(qk_norm=True, attn=dict(type='Attention', qk_norm=False)),
     'sets qk_norm=False, but its owner sets qk_norm=True'),
    (dict(attn=dict(type='Attention', num_heads=4)), 'sets num_heads=4, but its owner sets'),
    (dict(norm_type='batchnorm'), "Unknown norm_type 'batchnorm'"),
    (dict(mlp_type='relu'), "Unknown mlp_type 'relu'"),
    (dict(mlp=dict(type='Mlp', hidden_dim=0)), 'Mlp needs positive sizes'),
    (dict(attn=dict(type='Attention', qk_norm=True, norm_type='rmsnorm',
                    norm=dict(type='RMSNorm'))), 'both set the norm'),
])
def test_bad_block_options(options, message):
    with pytest.raises(ValueError, match=message):
        Block(48, 2, **options)


@pytest.mark.parametrize('options, message', [
    (dict(block=dict(type='SerialBlock')),
     "Unknown block type 'SerialBlock'.*built-in: Block, ParallelBlock"),
    (dict(block=dict(type='Block', dim=32)), 'sets dim=32, but its owner sets dim=48'),
    (dict(norm_type='rmsnorm', norm=dict(type='RMSNorm')), 'both set the norm'),
    (dict(mlp_type='gelu', block=dict(type='Block', mlp_type='swiglu')),
     "sets mlp_type='swiglu', but its owner sets mlp_type='gelu'"),
    (dict(norm_type='layernorm', block=dict(type='Block', norm=dict(type='RMSNorm'))),
     'both set the norm'),
])
def test_bad_tower_options(options, message):
    with pytest.raises(ValueError, match=message):
        Transformer(48, 1, 2, **options)


def test_a_name_only_in_mmengines_root_registry_is_refused():
    MMENGINE_MODELS.register_module(name='RootOnlyNorm', module=nn.LayerNorm)
    try:
        with pytest.raises(ValueError, match="norm type 'RootOnlyNorm' is not a vitok_mm layer: "
                                             'it resolves to torch.nn.modules.normalization'):
            Block(48, 2, norm=dict(type='RootOnlyNorm'))
    finally:
        MMENGINE_MODELS.module_dict.pop('RootOnlyNorm')


def test_bad_options_from_a_vitok_config_are_value_errors():
    cfg = tiny_vitok_config(block=dict(type='Block', mlp=dict(type='Mlp')), mlp_type='gelu')
    with pytest.raises(ValueError, match='mlp_type=.* both set the MLP'):
        MODELS.build(cfg)


@pytest.mark.parametrize('cls, options', [
    (RMSNorm, dict(dim=0)), (LayerNorm, dict(dim=-1)), (SwiGLU, dict(dim=8, mlp_ratio=0)),
    (GatedMlp, dict(dim=8, activation='relu')),
])
def test_bad_layer_sizes(cls, options):
    with pytest.raises(ValueError, match=cls.__name__ if cls is not GatedMlp else 'activation'):
        cls(**options)
