# The paper's E sweep at 256p (Fig. 2, 4, 5): S-B towers, stage 1 (L1 + LPIPS + KL),
# patch size p in {8, 16, 32} x latent channels c in {4, 8, 16, 32, 64}: 15 points,
# E = (256/p)^2 * c from 256 (p=32, c=4) to 65536 (p=8, c=64).
#   python tools/sweep.py configs/sweeps/e_sweep_256p.py --launcher slurm
# GPU budget (estimated from the GFLOPs that tools/sweep.py records, not measured): a point
# trains 100k steps at batch 256, 3x the encode+decode MACs per sample; at 40 % MFU of an
# H100 (bf16, 989 TFLOPS) that is 3.7 GPU-hours for p=16 (34.7 GMACs/sample), 17 for p=8
# (159.8) and 0.9 for p=32 (8.6), LPIPS not counted: about 110 H100-hours for 15 points.
base = '../vitok/s-b_16_256p.py'
axes = dict(patch_size=[8, 16, 32], latent_channels=[4, 8, 16, 32, 64])
work_dir = 'work_dirs/sweeps/e_sweep_256p'
# One job per point on a Slurm cluster (submitit's executor parameters).
slurm = dict(slurm_partition='gpu', nodes=1, gpus_per_node=8, tasks_per_node=8,
             cpus_per_task=10, timeout_min=24 * 60, slurm_signal_delay_s=300)
