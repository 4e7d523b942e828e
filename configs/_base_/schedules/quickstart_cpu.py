# The quick starts' optimizer and loops, for short runs on a CPU: AdamW lr 1e-3
# (0.9, 0.95), weight decay 1e-4, bf16 autocast (1.44x faster than float32 on a 2-core AMD
# EPYC: docs/benchmarks.md, "Training"), gradient clipping at 1.0, no lr scaling by batch
# size. Each quick start sets its length (max_iters, train_cfg) and its warmup and decay
# (param_scheduler).
optim_wrapper = dict(
    type='GuardedOptimWrapper',
    dtype='bfloat16',
    optimizer=dict(type='AdamW', lr=1e-3, betas=(0.9, 0.95), weight_decay=1e-4),
    clip_grad=dict(max_norm=1.0),
)
train_cfg = dict(type='ResumableIterBasedTrainLoop')
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
