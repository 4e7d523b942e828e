# ViTok-v2 5B (variant Td4-T/1x<p>x<c>; github.com/Na-VAE/vitok-release): v2's T towers,
# 3072 wide with 24 heads, encoder 4 blocks (463 M params), decoder 40 (4.5 B).
# v2's choices in our components (vitok_mm/models/vitok_v2.py):
# parallel blocks with LayerScale, qk-RMSNorm, SwiGLU with hidden 8208, no final norm,
# 2D RoPE, a deterministic bottleneck with a LayerNorm (no affine, eps 1e-6).
# Weights: convert the release with tools/model_converters/vitok_v2_to_vitok_mm.py.
_tower = dict(
    width=3072, num_heads=24, qk_norm=True, final_norm=False, rope_theta=10000.0,
    block=dict(type='ParallelBlock', layer_scale=1e-4, norm=dict(type='RMSNorm', eps=1e-6),
               mlp=dict(type='SwiGLU', hidden_dim=8208)))
model = dict(
    type='ViTok',
    data_preprocessor=dict(type='PixelPreprocessor'),  # uint8 -> [-1, 1], v2's (x - 0.5) / 0.5
    patch_size=16,
    encoder=dict(type='ViTEncoder', depth=4, **_tower),
    bottleneck=dict(type='DeterministicBottleneck', latent_channels=16, norm=True,
                    norm_eps=1e-6),
    decoder=dict(type='ViTDecoder', depth=40, **_tower),
)
# How Tokenizer.from_pretrained / vitok-mm use it by default, as v2 preprocesses: pad with
# zeros (in [-1, 1]) to a multiple of the patch, images of different sizes in one packed
# batch (NaFlex) at their native aspect ratio.
tokenizer = dict(pad_mode='zeros', packed=True)
input_shape = (3, 256, 256)
