# ViTok S-B/4x8: video tokenizer with 4x8x8 tubelets and 3D RoPE (time, rows, cols),
# for 16-frame 128x128 clips: 4 x 16 x 16 = 1024 tokens x 16 channels.
_base_ = ['../_base_/models/vitok_s-b_16.py', '../_base_/default_runtime.py']

model = dict(patch_size=8, tubelet_size=4)

# One sample as the model sees it: (C, T, H, W).
input_shape = (3, 16, 128, 128)
