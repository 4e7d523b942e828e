# ViTok S-B: S encoder (768 wide, 6 blocks, 12 heads), B decoder (768, 12, 12), a 16-channel
# Gaussian (VAE) bottleneck, trained with L1 + LPIPS + KL. The patch (and, for video, tubelet)
# size is part of the variant's name and set by each config: S-B/16 patch_size=16,
# S-B/4x8 tubelet_size=4 and patch_size=8.
# Both towers default to Llama blocks: RMSNorm, SwiGLU (hidden 2048), no q/k/v bias,
# 2D RoPE (3D for video), no absolute positions. Tower options a config may set:
#   norm_type='layernorm', mlp_type='gelu'|'geglu', qk_norm=True,
#   abs_pos_embed='learned'|'sincos' (+ base_grid for 'learned'), rope=False,
#   attn_backend='sdpa'|'xformers'|'math' (default 'auto'), grad_checkpointing=True.
# Or the block itself, timm-style (registered layers; docs/architecture.md):
#   block=dict(type='Block', attn=dict(type='Attention', qk_norm=True),
#              mlp=dict(type='SwiGLU'|'GeGLU'|'Mlp'), norm=dict(type='RMSNorm'|'LayerNorm')),
#   or block=dict(type='MyBlock', ...) registered by a plugin.
model = dict(
    type='ViTok',
    data_preprocessor=dict(type='PixelPreprocessor'),  # uint8 -> [-1, 1]
    encoder=dict(type='ViTEncoder', width=768, depth=6, num_heads=12),
    bottleneck=dict(type='GaussianBottleneck', latent_channels=16),
    decoder=dict(type='ViTDecoder', width=768, depth=12, num_heads=12),
    losses=[
        dict(type='L1Loss', loss_weight=1.0),
        # Needs torchvision's vgg16-397923af.pth in the torch hub cache, or
        # vgg_weights='/path/to/vgg16-397923af.pth' (loaded on the first step).
        dict(type='LPIPSLoss', loss_weight=1.0),
        dict(type='KLLoss', loss_weight=1e-6),  # mean-reduced over latent elements
    ],
)
