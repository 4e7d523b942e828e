# DiT-XL on ViTok S-B/16 256p latents (16 channels on a 16x16 grid, p=1: 256 tokens of 16
# values, as DiT-XL/2 on SD-VAE latents): epsilon prediction with learned variance, 1000
# linear-beta steps, class dropout 0.1 for classifier-free guidance. 674.83 M parameters.
model = dict(
    type='LatentDiffusion',
    generator=dict(type='DiT', size='XL', patch_size=1, class_dropout=0.1),
    diffusion=dict(type='GaussianDiffusion', num_timesteps=1000, learn_sigma=True),
    latent_shape=(16, 16, 16),
    num_classes=1000,
    # The latent statistics come from the cache (the config sets cache=); checkpoints
    # carry them, so sampling needs no cache.
    data_preprocessor=dict(type='LatentPreprocessor', num_channels=16),
    # Validation samples with DDIM-50 (fast); tools/sample_dit.py defaults to DDPM-250.
    solver=dict(type='DDIM', num_steps=50),
    cfg_scale=1.0,
)
