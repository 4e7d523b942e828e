# Stage 2 of the quick start: the decoder of vitok_tiny_64p fine-tuned with a GAN loss
# (StyleGAN-style discriminator, hinge loss), the encoder and the bottleneck frozen.
# 300 iterations, about 2.5 minutes on 2 CPU cores.
# The recipe of configs/sweeps/quickstart_stage2.py (issue 23; configs/quickstart/README.md):
# the GAN at weight 0.5 cost 0.9-1.2 dB and brought back the colour cast (1.95 levels);
# the discriminator drives it. An L1 term on 8x8 local means (LowPassL1Loss) holds the
# colours, a gentler GAN weight keeps the cost small, and a sharper cross-fade of the
# pixel head (a fixed window, not a weight) keeps the patch borders as sharp as the
# originals' when the GAN adds texture inside the patches.
# tools/quickstart.py runs it after stage 1 with load_from = stage 1's last checkpoint.
_base_ = [
    '../_base_/models/vitok_tiny.py',
    '../_base_/datasets/quickstart_photos_frames_64p.py',
    '../_base_/schedules/vitok_stage2_50k.py',
    '../_base_/default_runtime.py',
]

load_from = 'work_dirs/quickstart/stage1/iter_2200.pth'

model = dict(
    type='ViTokGAN',
    patch_size=8,                           # vitok_tiny_64p's tokenizer
    bottleneck=dict(latent_channels=32),
    decoder=dict(pixel_head=dict(type='OverlapPixelHead', overlap=1, window_power=2.0)),
    losses=[dict(type='L1Loss', loss_weight=1.0), dict(type='KLLoss', loss_weight=1e-6),
            dict(type='LowPassL1Loss', loss_weight=1.0, kernel_size=8)],
    trainable=('decoder', ),
    discriminator=dict(type='StyleGANDiscriminator', image_size=64, base_channels=16,
                       max_channels=64, mbstd_group_size=4),
    adversarial_loss=dict(
        loss_type='hinge',
        # The adaptive weight makes the GAN gradient at the decoder's output loss_weight
        # times the reconstruction's; 0.1-0.2 change nothing in 300 iterations, 0.5 costs
        # a dB (a cliff: the discriminator's lr moves it as much as this weight).
        loss_weight=0.275,
        adaptive_weight=True,
        discriminator_start=0,   # D learns to tell reconstructions apart from the start,
        generator_start=100,     # its verdict is ramped into the decoder's loss from 100
        warmup_iters=100,
        lecam_weight=0.001),
)

# The generator's optimizer is the stage-2 schedule's; the discriminator's learns faster
# with GAN-style betas and no weight decay. No lr scaling by batch size, constant lrs.
optim_wrapper = dict(
    discriminator=dict(optimizer=dict(lr=4e-4, betas=(0.5, 0.9), weight_decay=0.0)))
max_iters = 300
param_scheduler = dict(
    generator=[dict(type='ConstantLR', by_epoch=False, factor=1.0, begin=0, end=max_iters)],
    discriminator=[dict(type='ConstantLR', by_epoch=False, factor=1.0, begin=0,
                        end=max_iters)],
)
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
default_hooks = dict(
    checkpoint=dict(interval=250, max_keep_ckpts=2),
    visualization=dict(interval=max_iters, num_images=4),
)
randomness = dict(seed=0, deterministic=True)
