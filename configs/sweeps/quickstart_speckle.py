# Where does the quick start's speckle come from? (issue 14: held-out HF energy 1.13, i.e.
# added texture in flat areas.) The quick start's stage 1 at half its length (1100
# iterations, same warmup and cosine shape), one candidate cause changed per point;
# scored on the held-out photos with PSNR, SSIM and the HF energy ratio.
#   python tools/sweep.py configs/sweeps/quickstart_speckle.py
base = '../quickstart/vitok_tiny_64p.py'
points = [
    dict(tag='baseline'),
    # Decode the posterior mean in training too: no sampling noise for the decoder to learn.
    {'tag': 'mean', 'model.sample_posterior': False},
]
iters = 1100
cfg_options = {
    'max_iters': iters,
    'train_cfg.max_iters': iters,
    'train_cfg.val_interval': iters,
    'param_scheduler': [
        dict(type='LinearLR', start_factor=1e-2, by_epoch=False, begin=0, end=100),
        dict(type='CosineAnnealingLR', by_epoch=False, begin=100, end=iters,
             T_max=iters - 100, eta_min_ratio=0.02),
    ],
    'test_evaluator.metrics': ['psnr', 'ssim', 'hf_energy_ratio'],
    'default_hooks.checkpoint.interval': 550,
    'default_hooks.visualization.interval': 0,
}
work_dir = 'work_dirs/sweeps/quickstart_speckle'
data = 'data/samples'
