# The generation quick start's DiT trained twice as long (3600 iterations of batch 32, the
# schedule stretched to match): about twice the training time. It brings the samples'
# latent FD to the real views' floor and raises the probe accuracy (measured with the
# overlapping head, without rotary positions, sampled with the Heun-25 ODE:
# configs/quickstart/README.md, "The DiT quick start: the mosaic").
#   python tools/quickstart_dit.py --config configs/quickstart/dit_tiny_64p_long.py \
#       --work-dir work_dirs/quickstart_dit_long
_base_ = ['./dit_tiny_64p.py']

max_iters = 3600
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-2, by_epoch=False, begin=0, end=200),
    dict(type='CosineAnnealingLR', by_epoch=False, begin=200, end=max_iters,
         T_max=max_iters - 200, eta_min_ratio=0.05),
]
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
default_hooks = dict(checkpoint=dict(interval=1200))
