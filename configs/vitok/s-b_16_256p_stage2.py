# ViTok S-B/16 stage 2: the decoder fine-tuned with an added GAN loss, the encoder and the
# bottleneck frozen (the paper's loss trade-off: rFID/IS improve, PSNR/SSIM drop a little).
#   python tools/train.py configs/vitok/s-b_16_256p.py          # stage 1 (100k iterations)
#   python tools/train.py configs/vitok/s-b_16_256p_stage2.py   # stage 2, from stage 1's weights
_base_ = ['./s-b_16_256p.py']

# Stage 1's final weights; the discriminator's keys are reported missing, nothing else.
load_from = 'work_dirs/s-b_16_256p/iter_100000.pth'

model = dict(
    type='ViTokGAN',
    trainable=('decoder', ),      # encoder.* and bottleneck.* stay bitwise unchanged
    sample_posterior=True,        # decode samples of the frozen posterior, as in stage 1
    discriminator=dict(type='StyleGANDiscriminator', image_size=256, base_channels=64,
                       max_channels=512, mbstd_group_size=4),
    adversarial_loss=dict(
        loss_type='hinge',
        loss_weight=0.1,
        adaptive_weight=True,     # GAN gradient scaled to the reconstruction's at the output
        discriminator_start=0,    # D trains from the start (the decoder on L1 + LPIPS),
        generator_start=5_000,    # its verdict reaches the decoder from 5k iterations,
        warmup_iters=5_000,       # ramped in linearly over 5k iterations
        lecam_weight=0.001),
    discriminator_steps=1,
    update_order=('generator', 'discriminator'),
)

# lr for a global batch of 256 (auto_scale_lr scales both); the discriminator's is lower.
optim_wrapper = dict(
    _delete_=True,
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
max_iters = 50_000
param_scheduler = dict(
    _delete_=True,
    generator=[dict(type='CosineAnnealingLR', by_epoch=False, begin=0, end=max_iters,
                    T_max=max_iters, eta_min_ratio=0.1)],
    discriminator=[dict(type='ConstantLR', by_epoch=False, factor=1.0, begin=0,
                        end=max_iters)],
)
train_cfg = dict(max_iters=max_iters)
# Frozen parts and the frozen LPIPS network are left out of DDP: each trainable child
# (decoder, discriminator) gets its own DistributedDataParallel.
model_wrapper_cfg = dict(type='MMSeparateDistributedDataParallel', broadcast_buffers=False,
                         find_unused_parameters=False)
