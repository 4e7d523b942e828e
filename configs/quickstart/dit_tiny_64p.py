# A tiny class-conditional DiT trained on the CPU in minutes on latents of the image
# quick start's stage-1 tokenizer (32 channels on an 8x8 grid): 16 classes, one per
# training photo, 64 cached views each. Flow matching (uniform times), sampled with 100
# Euler-Maruyama steps of the reverse SDE, bf16, EMA with decay 0.99 (the run is 1.8k
# steps, not 400k).
#   bash tools/quickstart.sh dit
_base_ = [
    '../_base_/schedules/quickstart_cpu.py',
    '../_base_/default_runtime.py',
]

latent_cache = 'work_dirs/quickstart_dit/latents/train'
model = dict(
    type='LatentDiffusion',
    # The final layer predicts each latent token's 3x3 neighbourhood and blends the overlaps
    # (OverlapPixelHead, overlap 1): with DiT's linear head neighbouring generated tokens
    # disagree, and the tokenizer draws that as an 8x8 mosaic (the samples' grid ratio
    # 1.78 / 1.82 with it, 1.29 / 1.33 with this head). Rotary positions in every
    # attention on top (rope): 1.27 / 1.30, and better FD, PSNR and probe accuracy, for
    # about 10 % more training time. configs/quickstart/README.md has the measurements.
    generator=dict(type='DiT', size=None, width=128, depth=6, num_heads=4, patch_size=1,
                   class_dropout=0.1, rope=True,
                   head=dict(type='OverlapPixelHead', overlap=1)),
    # Uniform times: on this tiny set logit-normal times (mid-noise weighted) gave probe
    # accuracy 0.32 / 0.48 (CFG 1 / 1.5) against 0.59 / 0.65 with uniform ones.
    diffusion=dict(type='FlowMatching', time_sampling='uniform'),
    latent_shape=(32, 8, 8),
    num_classes=16,
    data_preprocessor=dict(type='LatentPreprocessor', num_channels=32, cache=latent_cache),
    # Euler-Maruyama on the reverse SDE rather than the Heun-25 ODE: its Langevin term
    # pulls samples back towards the model's marginals, and on this small, briefly trained
    # DiT that removes most of what was left of the mosaic (grid 1.27 / 1.30 -> 1.13 /
    # 1.14 on the same weights) and gives rounder shapes (nearest-view PSNR 18.09 ->
    # 18.55 dB); diffusion_norm 8 is 8x SiT's default (4: 1.19 / 1.21; 16 loses variance
    # at 100 steps, FD 185). 100 steps: 100 network calls against Heun-25's 49.
    # configs/quickstart/README.md has the measurements.
    solver=dict(type='EulerMaruyama', num_steps=100, diffusion_norm=8.0),
)

# Batch 32 for 1800 steps rather than 64 for 1000 in about the same time (a step costs
# in proportion to its batch here): probe accuracy 0.78 instead of 0.69 at CFG 1.
max_iters = 1800
optim_wrapper = dict(optimizer=dict(lr=1e-3, weight_decay=0.0))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-2, by_epoch=False, begin=0, end=100),
    dict(type='CosineAnnealingLR', by_epoch=False, begin=100, end=max_iters,
         T_max=max_iters - 100, eta_min_ratio=0.05),
]
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)

train_dataloader = dict(
    batch_size=32,
    num_workers=0,
    sampler=dict(type='ResumableInfiniteSampler', shuffle=True),
    dataset=dict(type='LatentDataset', cache=latent_cache),
)
# Validation: one sample per cached latent of a fresh set of views (the quick start makes
# them), scored in latent space against those views.
val_dataloader = dict(
    batch_size=64,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='LatentDataset', cache='work_dirs/quickstart_dit/latents/reference'),
)
val_evaluator = [
    dict(type='LatentFrechetMetric', num_components=64),
    dict(type='LatentProbeMetric'),
]
test_dataloader = val_dataloader
test_evaluator = val_evaluator
tokenizer = dict(config='configs/quickstart/vitok_tiny_64p.py',
                 checkpoint='work_dirs/quickstart/stage1/iter_2200.pth')

custom_hooks = [
    # Decay 0.99: at 0.995 the average lagged so far behind on this short run that the
    # raw weights sampled better (probe 0.64 raw, 0.59 EMA at step 1000).
    dict(type='EMAHook', ema_type='ExponentialMovingAverage', momentum=1e-2,
         update_buffers=False, priority=49),
]
default_hooks = dict(
    logger=dict(interval=100),
    checkpoint=dict(interval=600, max_keep_ckpts=2),
    latent_check=dict(type='LatentCacheCheckHook'),
    visualization=dict(_delete_=True, type='GenerationVisualizationHook', interval=0,
                       num_classes=16, samples_per_class=2, cfg_scale=1.5),
)
randomness = dict(seed=0, deterministic=True)
