# The paper's E sweep at 512p (Fig. 4): S-B towers, stage 1, p in {8, 16, 32} with c = 16:
# E = (512/p)^2 * 16 from 4096 to 65536 (p = 8: 4096 tokens per image).
#   python tools/sweep.py configs/sweeps/e_sweep_512p.py --launcher slurm
# GPU budget (estimated from the recorded GFLOPs, 100k steps at batch 256, 40 % MFU of an
# H100, LPIPS not counted): 17 GPU-hours for p=16 (160.7 GMACs/sample), 107 for p=8 (987.1:
# attention over 4096 tokens dominates), 3.8 for p=32 (35.6): about 130 H100-hours.
base = '../vitok/s-b_16_512p.py'
axes = dict(patch_size=[8, 16, 32], latent_channels=[16])
work_dir = 'work_dirs/sweeps/e_sweep_512p'
slurm = dict(slurm_partition='gpu', nodes=1, gpus_per_node=8, tasks_per_node=8,
             cpus_per_task=10, timeout_min=48 * 60, slurm_signal_delay_s=300)
