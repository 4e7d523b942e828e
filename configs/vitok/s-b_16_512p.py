# ViTok S-B/16 at 512x512: 1024 tokens x 16 channels, E = 16384 (4x the 256p E,
# the paper's pixels-per-float ratio for matching 256p quality).
_base_ = ['./s-b_16_256p.py']

input_shape = (3, 512, 512)
