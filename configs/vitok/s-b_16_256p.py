# ViTok S-B/16 at 256x256: 256 tokens x 16 channels, E = 4096.
_base_ = ['../_base_/models/vitok_s-b_16.py', '../_base_/default_runtime.py']

# One sample as the model sees it: (C, H, W). get_flops and benchmark read it.
input_shape = (3, 256, 256)
