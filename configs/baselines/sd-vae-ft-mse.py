# Stable Diffusion's VAE (fine-tuned with MSE) through diffusers, as a baseline tokenizer:
#   Tokenizer.from_pretrained('sd-vae-ft-mse')     # downloads hf://stabilityai/sd-vae-ft-mse
#   vitok-mm evaluate vitok-tiny-64p sd-vae-ft-mse --data FOLDER --out DIR
# Latents are scaled as diffusers does (z * 0.18215, from the VAE's config.json).
# Needs the diffusers extra: pip install 'vitok_mm[diffusers]'.
default_scope = 'vitok_mm'
model = dict(type='DiffusersAutoencoder', vae_class='AutoencoderKL')
input_shape = (3, 256, 256)
tokenizer = dict(pad_mode='reflect')
