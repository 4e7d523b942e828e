# A small ViTok for CPU runs on 64x64 crops: 8x8 patches -> 64 tokens x 16 channels
# (E = 1024), a 2-block encoder and a wider 4-block decoder (the paper's asymmetry).
_base_ = ['../_base_/default_runtime.py']

input_shape = (3, 64, 64)

model = dict(
    type='ViTok',
    patch_size=8,
    encoder=dict(type='ViTEncoder', width=128, depth=2, num_heads=2),
    bottleneck=dict(type='GaussianBottleneck', latent_channels=16),
    decoder=dict(type='ViTDecoder', width=192, depth=4, num_heads=3),
)
