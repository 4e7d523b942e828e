# Generation against E at quick-start scale (issue 14): the E sweep's tokenizers
# (e_sweep_quickstart.py: the same recipe, 250 iterations each) for p in {4, 8} x
# c in {4, 16, 64}, each run through the generation quick start's probe: a tiny DiT
# (configs/quickstart/dit_tiny_64p.py, 1800 steps) trained on cached views of the 16
# training photos, its samples (CFG 1.5) judged by linear-probe accuracy and nearest-view
# PSNR. The DiT's patch keeps 64 tokens at every point (patch 2 on p=4's 16x16 grid), so
# each point's generator costs the same.
#   python tools/sweep.py configs/sweeps/e_sweep_quickstart_generation.py
#   python tools/plot_sweep.py work_dirs/sweeps/e_sweep_quickstart/generation.csv
# It shares e_sweep_quickstart's work dir: tokenizers that sweep trained are reused (only
# their generator stage runs), and its table is generation.csv. 43 minutes on 2 CPU cores.
# The table, the figure, the timings and what they show: docs/sweeps.md, "Generation
# against E, at small scale".
_base_ = './e_sweep_quickstart.py'
axes = dict(patch_size=[4, 8], latent_channels=[4, 16, 64])
# The DiT as this sweep measured it: DiT's linear head, no rotary positions, Heun-25 (the
# quick start's DiT has an overlapping head and RoPE and samples with Euler-Maruyama
# since issue 23): pinned, so that docs/sweeps.md's table stays reproducible.
generator = dict(type='probe', config='../quickstart/dit_tiny_64p.py', cfg_scale=1.5,
                 tokens=64, cfg_options={
                     'model.generator.head': None, 'model.generator.rope': False,
                     'model.solver': dict(_delete_=True, type='Heun', num_steps=25)})
table = 'generation'
