# DiT-XL on ViTok S-B/16 latents of 256x256 ImageNet (the paper's generation setting:
# gFID 2.45 / gIS 284 with CFG, Table 3). 400k steps at global batch 256.
#   bash tools/dist_train.sh configs/dit/dit-xl_s-b_16_256p.py 8
_base_ = [
    '../_base_/models/dit_xl.py',
    '../_base_/datasets/latents_imagenet_256p.py',
    '../_base_/schedules/dit_400k.py',
    '../_base_/default_runtime.py',
]

latent_cache = 'data/latents/imagenet_s-b_16_256p'
model = dict(data_preprocessor=dict(cache=latent_cache))
train_dataloader = dict(dataset=dict(cache=latent_cache))
val_dataloader = dict(dataset=dict(cache=latent_cache))
# The tokenizer that decodes samples (grids during training, tools/sample_dit.py).
tokenizer = dict(config='configs/vitok/s-b_16_256p.py',
                 checkpoint='work_dirs/s-b_16_256p/iter_100000.pth')

default_hooks = dict(
    checkpoint=dict(interval=10_000, max_keep_ckpts=3),
    # The cache and the model's latent statistics must come from one tokenizer.
    latent_check=dict(type='LatentCacheCheckHook'),
    visualization=dict(_delete_=True, type='GenerationVisualizationHook', interval=50_000,
                       num_classes=8, cfg_scale=4.0),
)
