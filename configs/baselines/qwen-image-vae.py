# Qwen-Image's VAE (16 channels; a video VAE, images go in as one frame) through
# diffusers, as a baseline tokenizer:
#   Tokenizer.from_pretrained('qwen-image-vae')    # downloads hf://Qwen/Qwen-Image, folder vae/
# Latents are normalised per channel, (z - mean) / std, with the means and deviations of
# the VAE's config.json. Needs the diffusers extra: pip install 'vitok_mm[diffusers]'.
default_scope = 'vitok_mm'
model = dict(type='DiffusersAutoencoder', vae_class='AutoencoderKLQwenImage')
input_shape = (3, 256, 256)
tokenizer = dict(pad_mode='reflect')
