from .adaln_block import AdaLNZeroBlock, modulate
from .attention import ATTENTION_BACKENDS, Attention, multi_head_attention
from .block import Block
from .build import build_layer, layer_config
from .label_embed import LabelEmbedding
from .linear import Linear
from .mlp import MLP_TYPES, GatedMlp, GeGLU, Mlp, SwiGLU, build_mlp, mlp_config
from .norm import NORM_TYPES, LayerNorm, RMSNorm, build_norm, norm_config
from .packing import PackedTokens, pack
from .parallel_block import LayerScale, ParallelBlock
from .patch_embed import PatchEmbed, PixelHead, patchify, token_grid, unpatchify
from .pixel_heads import BorderSmoothPixelHead, ConvRefinePixelHead, OverlapPixelHead
from .pos_embed import LearnedPositionEmbedding, sincos_position_embedding
from .rope import RotaryEmbedding, apply_rotary, split_rotary_pairs
from .timestep_embed import TimestepEmbedding, timestep_features
from .transformer import Transformer

__all__ = [
    'AdaLNZeroBlock', 'modulate', 'LabelEmbedding', 'TimestepEmbedding', 'timestep_features',
    'ATTENTION_BACKENDS', 'Attention', 'multi_head_attention', 'Block', 'build_layer',
    'layer_config', 'Linear', 'MLP_TYPES', 'GatedMlp', 'GeGLU', 'Mlp', 'SwiGLU', 'build_mlp',
    'mlp_config', 'NORM_TYPES', 'LayerNorm', 'RMSNorm', 'build_norm', 'norm_config', 'PatchEmbed',
    'PixelHead', 'OverlapPixelHead', 'ConvRefinePixelHead', 'BorderSmoothPixelHead',
    'token_grid', 'patchify', 'unpatchify', 'LearnedPositionEmbedding', 'sincos_position_embedding',
    'RotaryEmbedding', 'apply_rotary', 'split_rotary_pairs', 'Transformer', 'LayerScale',
    'ParallelBlock', 'PackedTokens', 'pack',
]
