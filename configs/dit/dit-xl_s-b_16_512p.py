# DiT-XL on ViTok S-B/16 latents of 512x512 ImageNet: a 32x32 grid of 16 channels,
# 1024 tokens (same parameters as at 256p, ~4.4x the MACs). Paper: gFID 3.41.
_base_ = ['./dit-xl_s-b_16_256p.py']

latent_cache = 'data/latents/imagenet_s-b_16_512p'
model = dict(latent_shape=(16, 32, 32), data_preprocessor=dict(cache=latent_cache))
train_dataloader = dict(dataset=dict(cache=latent_cache))
val_dataloader = dict(dataset=dict(cache=latent_cache))
tokenizer = dict(config='configs/vitok/s-b_16_512p.py',
                 checkpoint='work_dirs/s-b_16_512p/iter_100000.pth')
