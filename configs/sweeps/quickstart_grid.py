# Issue 23, round 3: the patch grid, on the data that fixed PSNR and colour in round 2
# (quickstart_grid_colour_data.py: frames of the bundled clips not held out as training
# images, half the draws; held-out photos 27.84 dB, colour shift 0.40 levels, worst 0.99,
# but blockiness 1.39 against the originals' 1). Round 2's heads overshoot (overlap 1:
# 0.82) or do little (conv refinement: 1.35); here a loss that charges the steps (L1 of
# neighbour differences), and overlapping heads whose cross-fade leans more on each
# pixel's own token.
#   python tools/sweep.py configs/sweeps/quickstart_grid.py
base = '../quickstart/vitok_tiny_64p_plain.py'
data = 'data/samples'

L1_KL = [dict(type='L1Loss', loss_weight=1.0), dict(type='KLLoss', loss_weight=1e-6)]
PIPELINE = [dict(type='LoadImage'), dict(type='RandomResizedCrop', size=64, scale=(0.05, 1.0)),
            dict(type='RandomFlip', prob=0.5, direction='horizontal'), dict(type='PackInputs')]
FRAMES = dict(_delete_=True, type='WeightedMixDataset', weights=[1, 1], data_root=data,
              datasets=[dict(type='ImageDataset', data_prefix=prefix, cache_images=True,
                             pipeline=PIPELINE) for prefix in ('train', 'frames')])


def gradient(weight):
    return L1_KL + [dict(type='GradientL1Loss', loss_weight=weight)]


def overlap(power=1.0):
    return dict(type='OverlapPixelHead', overlap=1, window_power=power)


points = [
    # L1 of neighbour differences: blurrier (HF 0.18) and no less blocky; not pursued.
    {'tag': 'frames+grad1', 'model.losses': gradient(1.0)},
    {'tag': 'frames+overlap1', 'model.decoder.pixel_head': overlap()},
    # A border pixel takes its neighbour's prediction at 0.25, 0.125 (0.5 above).
    {'tag': 'frames+overlap1-p2', 'model.decoder.pixel_head': overlap(2.0)},
    # Power 2 still leaves a grid (1.04, Grace Hopper 1.14): power 3, a sharper window,
    # can only add to it, so the sweep goes the other way, between the tent (0.82) and 2.
    {'tag': 'frames+overlap1-p1.5', 'model.decoder.pixel_head': overlap(1.5)},
    # Power 1.5 lands between (0.94; chelsea 0.88, Grace Hopper 1.06): in between again.
    {'tag': 'frames+overlap1-p1.75', 'model.decoder.pixel_head': overlap(1.75)},
    # The DiT quick start's samples stay a mosaic on the new tokenizer (grid 1.78 against
    # the real views' 1.01): its neighbouring generated tokens disagree. A stronger KL term
    # spreads the posterior, so the decoder learns to decode perturbed latents smoothly.
    # Measured: 27.78 dB, colour 0.34, grid 0.99 (free), but the DiT's samples on it keep
    # their grid (1.79 against 1.01): not the lever.
    {'tag': 'frames+overlap1-p1.75-kl1e-4', 'model.decoder.pixel_head': overlap(1.75),
     'model.losses': [dict(type='L1Loss', loss_weight=1.0),
                      dict(type='KLLoss', loss_weight=1e-4)]},
]
cfg_options = {
    'train_dataloader.dataset': FRAMES,
    'test_evaluator.metrics': ['psnr', 'ssim', 'hf_energy_ratio', 'colour_shift',
                               'colour_shift_max', 'blockiness'],
    'test_evaluator.patch_size': 8,
    'default_hooks.visualization.interval': 0,
}
work_dir = 'work_dirs/sweeps/quickstart_grid'
