# ViTok S-B/16 stage 2: the decoder fine-tuned with an added GAN loss, the encoder and the
# bottleneck frozen (the paper's loss trade-off: rFID/IS improve, PSNR/SSIM drop a little).
#   python tools/train.py configs/vitok/s-b_16_256p.py          # stage 1 (100k iterations)
#   python tools/train.py configs/vitok/s-b_16_256p_stage2.py   # stage 2, from stage 1's weights
_base_ = [
    '../_base_/models/vitok_s-b_gan.py',
    '../_base_/datasets/imagenet_256p.py',
    '../_base_/schedules/vitok_stage2_50k.py',
    '../_base_/default_runtime.py',
]

# Stage 1's final weights; the discriminator's keys are reported missing, nothing else.
load_from = 'work_dirs/s-b_16_256p/iter_100000.pth'

model = dict(
    patch_size=16,                # s-b_16_256p.py's tokenizer
    tubelet_size=None,
    sample_posterior=True,        # decode samples of the frozen posterior, as in stage 1
    discriminator=dict(type='StyleGANDiscriminator', image_size=256, base_channels=64,
                       max_channels=512, mbstd_group_size=4),
    discriminator_steps=1,
    update_order=('generator', 'discriminator'),
)
# The schedule's lrs are for a global batch of 256; the runner scales both.
auto_scale_lr = dict(enable=True, base_batch_size=256)
