# ViTok S-B/4x8 stage 2: the decoder fine-tuned with a GAN loss on UCF-101 clips, the
# encoder frozen, judged by a 3D PatchGAN (space and time). For a per-frame image
# discriminator instead:
#   discriminator=dict(_delete_=True, type='PerFrameDiscriminator', discriminator=dict(
#       type='StyleGANDiscriminator', image_size=128))
_base_ = ['./s-b_4x8_128p_16f.py']

load_from = 'work_dirs/s-b_4x8_128p_16f/iter_100000.pth'

model = dict(
    type='ViTokGAN',
    trainable=('decoder', ),
    discriminator=dict(type='PatchGANDiscriminator', dims=3, base_channels=64, num_layers=3,
                       norm_type='group', temporal_kernel=3),
    adversarial_loss=dict(loss_type='hinge', loss_weight=0.1, adaptive_weight=True,
                          discriminator_start=0, generator_start=5_000, warmup_iters=5_000,
                          lecam_weight=0.001),
)
optim_wrapper = dict(
    _delete_=True,
    constructor='GANOptimWrapperConstructor',
    generator=dict(
        type='GuardedOptimWrapper', dtype='bfloat16',
        optimizer=dict(type='AdamW', lr=3e-4, betas=(0.9, 0.95), weight_decay=1e-4),
        clip_grad=dict(max_norm=1.0)),
    discriminator=dict(
        type='GuardedOptimWrapper', dtype='bfloat16',
        optimizer=dict(type='AdamW', lr=6e-5, betas=(0.9, 0.95), weight_decay=1e-4),
        clip_grad=dict(max_norm=1.0)),
)
max_iters = 50_000
param_scheduler = dict(
    _delete_=True,
    generator=[dict(type='CosineAnnealingLR', by_epoch=False, begin=0, end=max_iters,
                    T_max=max_iters, eta_min_ratio=0.1)],
    discriminator=[dict(type='ConstantLR', by_epoch=False, factor=1.0, begin=0,
                        end=max_iters)],
)
train_cfg = dict(max_iters=max_iters)
model_wrapper_cfg = dict(type='MMSeparateDistributedDataParallel', broadcast_buffers=False,
                         find_unused_parameters=False)
