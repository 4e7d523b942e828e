# ViTok S-B for stage 2 (ViTokGAN): the decoder fine-tuned with an added GAN loss, the
# encoder and the bottleneck frozen, so stage 2's latents are stage 1's. Each config sets
# the patch (tubelet) size of its stage 1 and a discriminator for its data.
_base_ = ['./vitok_s-b.py']

model = dict(
    type='ViTokGAN',
    trainable=('decoder', ),      # encoder.* and bottleneck.* stay bitwise unchanged
    adversarial_loss=dict(
        loss_type='hinge',
        loss_weight=0.1,
        adaptive_weight=True,     # GAN gradient scaled to the reconstruction's at the output
        discriminator_start=0,    # D trains from the start (the decoder on L1 + LPIPS),
        generator_start=5_000,    # its verdict reaches the decoder from 5k iterations,
        warmup_iters=5_000,       # ramped in linearly over 5k iterations
        lecam_weight=0.001),
)
