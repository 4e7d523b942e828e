# Issue 23, round 1: what removes the quick start's patch grid and colour cast? The quick
# start's stage 1 at its full length (2200 iterations), one change per point: the three
# registered pixel heads that tie neighbouring patches, and a low-pass L1 term (each
# channel's mean, or 8x8 local means) next to L1 + KL. Scored on the 4 held-out photos:
# PSNR, SSIM, HF energy, colour shift (mean |shift| per channel in 8-bit levels, and the
# largest) and blockiness (the patch grid's gradient ratio over the original's: 1 = none).
#   python tools/sweep.py configs/sweeps/quickstart_grid_colour.py
base = '../quickstart/vitok_tiny_64p_plain.py'

L1_KL = [dict(type='L1Loss', loss_weight=1.0), dict(type='KLLoss', loss_weight=1e-6)]

points = [
    dict(tag='baseline'),
    {'tag': 'overlap2', 'model.decoder.pixel_head': dict(type='OverlapPixelHead', overlap=2)},
    {'tag': 'convrefine', 'model.decoder.pixel_head': dict(type='ConvRefinePixelHead')},
    {'tag': 'bordersmooth', 'model.decoder.pixel_head': dict(type='BorderSmoothPixelHead')},
    {'tag': 'lowpass-mean', 'model.losses': L1_KL + [dict(type='LowPassL1Loss',
                                                          loss_weight=1.0)]},
    {'tag': 'lowpass8', 'model.losses': L1_KL + [dict(type='LowPassL1Loss', kernel_size=8,
                                                      loss_weight=1.0)]},
]
cfg_options = {
    'test_evaluator.metrics': ['psnr', 'ssim', 'hf_energy_ratio', 'colour_shift',
                               'colour_shift_max', 'blockiness'],
    'test_evaluator.patch_size': 8,
    'default_hooks.visualization.interval': 0,
}
work_dir = 'work_dirs/sweeps/quickstart_grid_colour'
data = 'data/samples'
