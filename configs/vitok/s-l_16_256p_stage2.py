# ViTok S-L/16 stage 2: the S-B/16 stage-2 recipe on the L decoder of s-l_16_256p.py.
_base_ = ['./s-b_16_256p_stage2.py']

load_from = 'work_dirs/s-l_16_256p/iter_100000.pth'
model = dict(decoder=dict(width=1152, depth=24, num_heads=16))
