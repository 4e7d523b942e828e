# The paper's encoder and decoder scaling at 256p (Fig. 6-9): p = 16, c = 16, towers of
# Table 1 (S 768/6, B 768/12, L 1152/24): S-S, B-S, S-B, B-B, B-L, L-L.
#   python tools/sweep.py configs/sweeps/enc_dec_scaling_256p.py --launcher slurm
# GPU budget (estimated from the recorded GFLOPs, 100k steps at batch 256, 40 % MFU of an
# H100, LPIPS not counted): 2.5 GPU-hours for S-S (23.3 GMACs/sample), 3.7 for B-S and S-B
# (34.7), 5.0 for B-B (46.2), 13.5 for B-L (124.8), 22 for L-L (203.4): about 50 H100-hours.
base = '../vitok/s-b_16_256p.py'
points = [dict(encoder='S', decoder='S'), dict(encoder='B', decoder='S'),
          dict(encoder='S', decoder='B'), dict(encoder='B', decoder='B'),
          dict(encoder='B', decoder='L'), dict(encoder='L', decoder='L')]
work_dir = 'work_dirs/sweeps/enc_dec_scaling_256p'
slurm = dict(slurm_partition='gpu', nodes=1, gpus_per_node=8, tasks_per_node=8,
             cpus_per_task=10, timeout_min=24 * 60, slurm_signal_delay_s=300)
