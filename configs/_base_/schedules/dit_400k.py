# DiT's schedule (Peebles & Xie, 2023): AdamW lr 1e-4, no weight decay, constant lr, global
# batch 256, 400k steps, EMA of the weights with decay 0.9999; bf16 autocast here.
optim_wrapper = dict(
    type='GuardedOptimWrapper',
    dtype='bfloat16',
    nonfinite='raise',
    accumulative_counts=1,
    optimizer=dict(type='AdamW', lr=1e-4, betas=(0.9, 0.999), weight_decay=0.0),
    clip_grad=None,
)
# DiT keeps lr 1e-4 at global batch 256; with another global batch the runner scales it.
auto_scale_lr = dict(enable=True, base_batch_size=256)

max_iters = 400_000
param_scheduler = []  # constant learning rate
train_cfg = dict(type='ResumableIterBasedTrainLoop', max_iters=max_iters, val_interval=50_000)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

# EMA of the weights (momentum 1e-4 = decay 0.9999). Checkpoints hold the EMA weights in
# `state_dict` and the raw ones in `ema_state_dict`; resume restores both. Validation and
# tools/sample_dit.py use the EMA weights (`--weights raw` for the others). Buffers (the
# latent statistics) are copied, not averaged.
custom_hooks = [
    dict(type='EMAHook', ema_type='ExponentialMovingAverage', momentum=1e-4,
         update_buffers=False, priority=49),
]
