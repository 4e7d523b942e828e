# Issue 23, round 4: stage 2 (the GAN fine-tune of the decoder) on the stage-1 recipe of
# rounds 2-3 (frames of the bundled clips as training images, the overlapping pixel
# head). Today's stage 2 (GAN weight 0.5 with the adaptive weight, D lr 4e-4) cost
# 1.3 dB on the held-out photos and painted a pink cast (worst shift -11.1 levels).
# Which knob drives the cost and the cast: the GAN's weight, the discriminator's
# learning rate, the ramp, a low-pass anchor. 'l1-only' is the control: the same 300
# iterations of the decoder without a discriminator's verdict.
#   python tools/sweep.py configs/sweeps/quickstart_stage2.py
# The base is today's stage 2, which took this sweep's result (its data, its head, the
# low-pass anchor, weight 0.275, window power 2); cfg_options below pin the point every
# change here started from: L1 + KL and stage 1's window (power 1.75).
base = '../quickstart/vitok_tiny_64p_stage2.py'
data = 'data/samples'
stage1 = 'work_dirs/sweeps/quickstart_grid/points/frames+overlap1-p1.75/iter_2200.pth'

L1_KL = [dict(type='L1Loss', loss_weight=1.0), dict(type='KLLoss', loss_weight=1e-6)]
# L1 between 8x8 local means: charges the low frequencies the GAN's gradient moves
LOWPASS = L1_KL + [dict(type='LowPassL1Loss', loss_weight=1.0, kernel_size=8)]

points = [
    {'tag': 'gan0.5', 'model.adversarial_loss.loss_weight': 0.5},
    {'tag': 'l1-only', 'model.adversarial_loss.loss_weight': 0.0},
    {'tag': 'gan0.1', 'model.adversarial_loss.loss_weight': 0.1},
    {'tag': 'gan0.5-dlr1e-4', 'model.adversarial_loss.loss_weight': 0.5,
     'optim_wrapper.discriminator.optimizer.lr': 1e-4},
    {'tag': 'gan0.5-lowpass', 'model.adversarial_loss.loss_weight': 0.5,
     'model.losses': LOWPASS},
    {'tag': 'gan0.2-dlr1e-4', 'model.adversarial_loss.loss_weight': 0.2,
     'optim_wrapper.discriminator.optimizer.lr': 1e-4},
    # The first six (measured on the sweep's 4 held-out photos): the GAN at 0.5 brings the
    # cast back (1.95 levels, worst 3.7) with -0.94 dB and HF 0.29 -> 0.61; at 0.1 or 0.2
    # it does nothing in 300 iterations (as l1-only); the slower D costs 0.12 dB, HF 0.42,
    # still a cast (1.03, worst 3.1); the low-pass anchor removes the cast (0.58, worst
    # 1.6) but not the PSNR cost (-1.07 dB, HF 0.66). Anchor and a gentler GAN together:
    {'tag': 'gan0.5-dlr1e-4-lowpass', 'model.adversarial_loss.loss_weight': 0.5,
     'optim_wrapper.discriminator.optimizer.lr': 1e-4, 'model.losses': LOWPASS},
    {'tag': 'gan0.5-dlr2e-4-lowpass', 'model.adversarial_loss.loss_weight': 0.5,
     'optim_wrapper.discriminator.optimizer.lr': 2e-4, 'model.losses': LOWPASS},
    {'tag': 'gan0.3-lowpass', 'model.adversarial_loss.loss_weight': 0.3,
     'model.losses': LOWPASS},
    # gan0.3-lowpass: -0.10 dB on the photos (-0.23 on the held-out clip's frames), HF
    # 0.29 -> 0.45, colour 0.44 (worst 1.2), but the GAN's texture inside the patches
    # lowers the grid ratio to 0.89 / 0.90 on two photos (the borders now smoother than the
    # originals'). The window is a fixed buffer, not a weight: stage 2 may sharpen it.
    {'tag': 'gan0.3-lowpass-p2', 'model.adversarial_loss.loss_weight': 0.3,
     'model.losses': LOWPASS, 'model.decoder.pixel_head.window_power': 2.0},
    {'tag': 'gan0.3-lowpass-p2.25', 'model.adversarial_loss.loss_weight': 0.3,
     'model.losses': LOWPASS, 'model.decoder.pixel_head.window_power': 2.25},
    # p2: every photo in [0.91, 1.07], -0.21 dB, but the held-out clip's frames -0.32 dB;
    # p2.25: Grace Hopper 1.14. A little less GAN, or more anchor, at power 2:
    {'tag': 'gan0.25-lowpass-p2', 'model.adversarial_loss.loss_weight': 0.25,
     'model.losses': LOWPASS, 'model.decoder.pixel_head.window_power': 2.0},
    {'tag': 'gan0.3-lowpass2-p2', 'model.adversarial_loss.loss_weight': 0.3,
     'model.losses': L1_KL + [dict(type='LowPassL1Loss', loss_weight=2.0, kernel_size=8)],
     'model.decoder.pixel_head.window_power': 2.0},
    # 0.25: +0.07 dB, HF 0.39, but Grace Hopper's grid 1.11; twice the anchor: -0.60 dB
    # (the adaptive weight scales the GAN with the reconstruction's gradient). Between:
    {'tag': 'gan0.275-lowpass-p2', 'model.adversarial_loss.loss_weight': 0.275,
     'model.losses': LOWPASS, 'model.decoder.pixel_head.window_power': 2.0},
]
cfg_options = {
    'load_from': stage1,
    'model.losses': L1_KL,
    'model.decoder.pixel_head.window_power': 1.75,
    'test_evaluator.metrics': ['psnr', 'ssim', 'hf_energy_ratio', 'colour_shift',
                               'colour_shift_max', 'blockiness'],
    'test_evaluator.patch_size': 8,
    'default_hooks.visualization.interval': 0,
}
work_dir = 'work_dirs/sweeps/quickstart_stage2'
