# A micro ViTok for the checkpoint-compatibility fixture (tests/data/micro_vitok_iter_2.pth).
# The fixture was trained for 2 iterations by the code of main at fd5588d, before the towers
# became pluggable; tests/test_models/test_checkpoint_fixture.py loads it with today's code.
# Self-contained on purpose: later changes to configs/_base_ must not change this model.
input_shape = (3, 16, 16)

model = dict(
    type='ViTok',
    patch_size=4,
    data_preprocessor=dict(type='PixelPreprocessor'),
    # Options off the default path, so that their parameter names are pinned too.
    encoder=dict(type='ViTEncoder', width=16, depth=2, num_heads=2, qk_norm=True,
                 abs_pos_embed='learned', base_grid=(4, 4)),
    bottleneck=dict(type='GaussianBottleneck', latent_channels=4),
    decoder=dict(type='ViTDecoder', width=24, depth=2, num_heads=2, mlp_type='gelu',
                 norm_type='layernorm', qkv_bias=True),
    losses=[dict(type='L1Loss', loss_weight=1.0), dict(type='KLLoss', loss_weight=1e-6)],
)
