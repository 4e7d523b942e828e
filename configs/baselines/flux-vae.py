# The FLUX.1 VAE (16 channels) through diffusers, as a baseline tokenizer:
#   Tokenizer.from_pretrained('flux-vae')  # hf://black-forest-labs/FLUX.1-schnell, folder vae/
#   vitok-mm evaluate vitok-tiny-64p flux-vae --data FOLDER --out DIR
# Latents are scaled as diffusers does ((z - 0.1159) * 0.3611, from the VAE's config.json).
# Needs the diffusers extra: pip install 'vitok_mm[diffusers]'.
default_scope = 'vitok_mm'
model = dict(type='DiffusersAutoencoder', vae_class='AutoencoderKL')
input_shape = (3, 256, 256)
tokenizer = dict(pad_mode='reflect')
