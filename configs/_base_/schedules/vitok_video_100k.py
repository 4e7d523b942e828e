# The paper's video schedule: AdamW (0.9, 0.95), weight decay 1e-4, lr 3e-4 for a global
# batch of 256 (auto_scale_lr follows the actual global batch), linear warmup then
# cosine, bf16 autocast, gradient clipping at 1.0; 100k optimizer steps.
optim_wrapper = dict(
    type='GuardedOptimWrapper',
    dtype='bfloat16',
    nonfinite='raise',
    accumulative_counts=1,
    optimizer=dict(type='AdamW', lr=3e-4, betas=(0.9, 0.95), weight_decay=1e-4),
    clip_grad=dict(max_norm=1.0),
)
auto_scale_lr = dict(enable=True, base_batch_size=256)

max_iters = 100_000
warmup_iters = 5_000
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=False, begin=0, end=warmup_iters),
    dict(type='CosineAnnealingLR', by_epoch=False, begin=warmup_iters, end=max_iters,
         T_max=max_iters - warmup_iters, eta_min_ratio=0.01),
]
train_cfg = dict(type='ResumableIterBasedTrainLoop', max_iters=max_iters, val_interval=5_000)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
