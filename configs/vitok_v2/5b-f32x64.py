# The released ViTok-v2 5B-f32x64 (philippehansen/ViTok-v2-5B-f32x64,
# v2 variant Td4-T/1x32x64): patch 32, 64 latent channels per token.
# Weights: see configs/vitok_v2/README.md.
_base_ = ['../_base_/models/vitok_v2_5b.py', '../_base_/default_runtime.py']

model = dict(patch_size=32, bottleneck=dict(latent_channels=64))
