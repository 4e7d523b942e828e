# Stable Diffusion's VAE architecture with random weights: for speed and memory only (its
# reconstructions mean nothing). The same layout as the SD-VAE of
# tools/analysis_tools/benchmark.py (vitok_mm.analysis.SD_VAE_LAYOUT), so a machine
# without the Hub can time the baseline:
#   vitok-mm evaluate vitok-tiny-64p configs/baselines/sd-vae_random.py --data FOLDER ...
default_scope = 'vitok_mm'
model = dict(
    type='DiffusersAutoencoder', vae_class='AutoencoderKL',
    vae_config=dict(
        in_channels=3, out_channels=3,
        down_block_types=('DownEncoderBlock2D', ) * 4,
        up_block_types=('UpDecoderBlock2D', ) * 4,
        block_out_channels=(128, 256, 512, 512),
        layers_per_block=2, latent_channels=4, norm_num_groups=32, act_fn='silu'))
input_shape = (3, 256, 256)
tokenizer = dict(pad_mode='reflect')
