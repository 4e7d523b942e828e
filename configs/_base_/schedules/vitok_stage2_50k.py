# The stage-2 (ViTokGAN) schedule: one optimizer for the generator (the trainable decoder)
# and one for the discriminator, built by GANOptimWrapperConstructor, both AdamW with bf16
# autocast and gradient clipping at 1.0; the generator's lr 1e-4 decays by cosine to 10%,
# the discriminator's 2e-5 stays constant; 50k iterations. A config whose lrs are per 256
# images adds auto_scale_lr (the paper configs; the CPU quick start does not scale).
optim_wrapper = dict(
    constructor='GANOptimWrapperConstructor',
    generator=dict(
        type='GuardedOptimWrapper', dtype='bfloat16',
        optimizer=dict(type='AdamW', lr=1e-4, betas=(0.9, 0.95), weight_decay=1e-4),
        clip_grad=dict(max_norm=1.0)),
    discriminator=dict(
        type='GuardedOptimWrapper', dtype='bfloat16',
        optimizer=dict(type='AdamW', lr=2e-5, betas=(0.9, 0.95), weight_decay=1e-4),
        clip_grad=dict(max_norm=1.0)),
)
# max_iters is filled in where this file uses it when the file is read: a config that
# changes it sets param_scheduler and train_cfg.max_iters again.
max_iters = 50_000
param_scheduler = dict(
    generator=[dict(type='CosineAnnealingLR', by_epoch=False, begin=0, end=max_iters,
                    T_max=max_iters, eta_min_ratio=0.1)],
    discriminator=[dict(type='ConstantLR', by_epoch=False, factor=1.0, begin=0,
                        end=max_iters)],
)
train_cfg = dict(type='ResumableIterBasedTrainLoop', max_iters=max_iters, val_interval=5_000)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
# Frozen parts and the frozen LPIPS network are left out of DDP: each trainable child
# (decoder, discriminator) gets its own DistributedDataParallel.
model_wrapper_cfg = dict(type='MMSeparateDistributedDataParallel', broadcast_buffers=False,
                         find_unused_parameters=False)
