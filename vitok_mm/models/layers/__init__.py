from .attention import ATTENTION_BACKENDS, Attention, multi_head_attention
from .block import Block
from .linear import Linear
from .mlp import GatedMlp, Mlp, build_mlp
from .norm import build_norm
from .patch_embed import PatchEmbed, PixelHead, token_grid
from .pos_embed import LearnedPositionEmbedding, sincos_position_embedding
from .rope import RotaryEmbedding, apply_rotary, split_rotary_pairs
from .transformer import Transformer

__all__ = [
    'ATTENTION_BACKENDS', 'Attention', 'multi_head_attention', 'Block', 'Linear', 'GatedMlp', 'Mlp',
    'build_mlp', 'build_norm', 'PatchEmbed', 'PixelHead', 'token_grid',
    'LearnedPositionEmbedding', 'sincos_position_embedding', 'RotaryEmbedding', 'apply_rotary',
    'split_rotary_pairs', 'Transformer',
]
