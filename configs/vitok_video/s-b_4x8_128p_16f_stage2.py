# ViTok S-B/4x8 stage 2: the decoder fine-tuned with a GAN loss on UCF-101 clips, the
# encoder frozen, judged by a 3D PatchGAN (space and time). For a per-frame image
# discriminator instead:
#   discriminator=dict(_delete_=True, type='PerFrameDiscriminator', discriminator=dict(
#       type='StyleGANDiscriminator', image_size=128))
_base_ = [
    '../_base_/models/vitok_s-b_gan.py',
    '../_base_/datasets/ucf101_128p_16f.py',
    '../_base_/schedules/vitok_stage2_50k.py',
    '../_base_/default_runtime.py',
]

load_from = 'work_dirs/s-b_4x8_128p_16f/iter_100000.pth'

model = dict(
    patch_size=8,                 # s-b_4x8_128p_16f.py's tokenizer
    tubelet_size=4,
    discriminator=dict(type='PatchGANDiscriminator', dims=3, base_channels=64, num_layers=3,
                       norm_type='group', temporal_kernel=3),
)
# The video recipe's lrs, 3x the image ones, for a global batch of 256 (the runner scales).
optim_wrapper = dict(generator=dict(optimizer=dict(lr=3e-4)),
                     discriminator=dict(optimizer=dict(lr=6e-5)))
auto_scale_lr = dict(enable=True, base_batch_size=256)
