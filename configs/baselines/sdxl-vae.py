# The SDXL VAE through diffusers, as a baseline tokenizer:
#   Tokenizer.from_pretrained('sdxl-vae')     # downloads hf://stabilityai/sdxl-vae
#   vitok-mm evaluate vitok-tiny-64p sdxl-vae --data FOLDER --out DIR
# Latents are scaled as diffusers does (z * 0.13025, from the VAE's config.json).
# Needs the diffusers extra: pip install 'vitok_mm[diffusers]'.
default_scope = 'vitok_mm'
model = dict(type='DiffusersAutoencoder', vae_class='AutoencoderKL')
input_shape = (3, 256, 256)
tokenizer = dict(pad_mode='reflect')
