# The released ViTok-v2 350M-f16x32 (philippehansen/ViTok-v2-350M-f16x32,
# v2 variant Ld4-Ld24/1x16x32): patch 16, 32 latent channels per token.
# Weights: see configs/vitok_v2/README.md.
_base_ = ['../_base_/models/vitok_v2_350m.py', '../_base_/default_runtime.py']

model = dict(patch_size=16, bottleneck=dict(latent_channels=32))
