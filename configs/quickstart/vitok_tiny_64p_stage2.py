# Stage 2 of the quick start: the decoder of vitok_tiny_64p fine-tuned with a GAN loss
# (StyleGAN-style discriminator, hinge loss), the encoder and the bottleneck frozen.
# 300 iterations, about 2.5 minutes on 2 CPU cores.
# tools/quickstart.py runs it after stage 1 with load_from = stage 1's last checkpoint.
_base_ = ['./vitok_tiny_64p.py']

load_from = 'work_dirs/quickstart/stage1/iter_2200.pth'

model = dict(
    type='ViTokGAN',
    trainable=('decoder', ),
    discriminator=dict(type='StyleGANDiscriminator', image_size=64, base_channels=16,
                       max_channels=64, mbstd_group_size=4),
    adversarial_loss=dict(
        loss_type='hinge',
        # The adaptive weight makes the GAN gradient at the decoder's output loss_weight
        # times the reconstruction's; 0.1 changes nothing visible in 300 iterations.
        loss_weight=0.5,
        adaptive_weight=True,
        discriminator_start=0,   # D learns to tell reconstructions apart from the start,
        generator_start=100,     # its verdict is ramped into the decoder's loss from 100
        warmup_iters=100,
        lecam_weight=0.001),
)

optim_wrapper = dict(
    _delete_=True,
    constructor='GANOptimWrapperConstructor',
    generator=dict(
        type='GuardedOptimWrapper', dtype='bfloat16',
        optimizer=dict(type='AdamW', lr=1e-4, betas=(0.9, 0.95), weight_decay=1e-4),
        clip_grad=dict(max_norm=1.0)),
    discriminator=dict(
        type='GuardedOptimWrapper', dtype='bfloat16',
        optimizer=dict(type='AdamW', lr=4e-4, betas=(0.5, 0.9), weight_decay=0.0),
        clip_grad=dict(max_norm=1.0)),
)
max_iters = 300
param_scheduler = dict(
    _delete_=True,
    generator=[dict(type='ConstantLR', by_epoch=False, factor=1.0, begin=0, end=max_iters)],
    discriminator=[dict(type='ConstantLR', by_epoch=False, factor=1.0, begin=0,
                        end=max_iters)],
)
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
default_hooks = dict(
    logger=dict(interval=50),
    checkpoint=dict(interval=250, max_keep_ckpts=2),
)
custom_hooks = [
    dict(type='RandomStateHook'),
    dict(type='ReconstructionVisualizationHook', interval=max_iters, num_images=4),
    dict(type='ProgressBarHook'),
]
model_wrapper_cfg = dict(type='MMSeparateDistributedDataParallel', broadcast_buffers=False,
                         find_unused_parameters=False)
